"""Records, conversations and the training data path."""
