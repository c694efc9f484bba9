"""nbrun's contract: the wire shapes and limits that every part shares, each defined once."""
