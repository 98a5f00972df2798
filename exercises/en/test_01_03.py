def test():
    assert found == ["iPhone 15", "iphone 14"], "Both phones, whatever their capitalization."
    assert '"LOWER"' in __solution__, "Match the lowercase form of the token."
    __msg__.good("Well done: one pattern, two spellings.")
