def test():
    assert gold == [("London", "GPE"), ("Berlin", "GPE")], "Pass the doc, then the annotations."
    __msg__.good("Right: an Example pairs what the model sees with what it should predict.")
