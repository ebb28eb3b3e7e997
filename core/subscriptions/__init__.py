"""Subscriptions: the areas, topics, severity and quiet hours a person hears warnings about."""
