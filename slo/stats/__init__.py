"""The statistics: figures from Prometheus's answers, per-scrape blocks, intervals and how sure each is, change beyond noise, many tests at once, and the histogram's own accuracy."""
