"""Customer feedback on a return: one rating (1 to 5) and comment, left by the customer."""
