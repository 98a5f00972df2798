def test():
    assert first.i == 0, "The first token has the index 0."
    assert animal.text == "tree kangaroo", "A span ends before the index after the colon."
    __msg__.good("Well done: indexes and slices work on a Doc as on a list.")
