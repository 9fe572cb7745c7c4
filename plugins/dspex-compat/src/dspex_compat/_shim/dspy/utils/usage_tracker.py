from dspex_compat._usage_tracker import UsageTracker, track_usage
