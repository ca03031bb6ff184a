"""Moving in: the unit directory import (单位通讯录导入) with its preview, the one-time passwords
and their printable sheet, the template and the export; and the first sign-in's own password."""
