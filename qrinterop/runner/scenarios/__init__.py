"""One scenario at a time: the session, the clients it acts through, and what it collects."""
