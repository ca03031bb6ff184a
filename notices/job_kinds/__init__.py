"""What each kind of background job does (checks and runners); ``notices.jobs`` registers them."""
