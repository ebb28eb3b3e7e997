"""ShopWatch: a Telegram bot for Shop Watch schemes and community safety alerts."""

__version__ = "0.1.0"
