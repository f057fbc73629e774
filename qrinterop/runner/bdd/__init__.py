"""behave integration: finding the suite, filling data-driven Examples, running behave, and the
words steps are written in."""
