def test():
    assert isinstance(coffee_hash, int), "A string's hash is a number: look up the string."
    assert coffee_string == "coffee", "Look up the hash to get the string back."
    assert "strings[coffee_hash]" in __solution__, "Use the hash you found, not the word again."
    __msg__.good("Right: the string store maps strings to hashes and back.")
