"""The pages the service serves itself: the customer portal and the merchant console."""
