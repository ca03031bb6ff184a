"""The stand-in page (授权代理): name a colleague to act for you, and end a stand-in early."""
