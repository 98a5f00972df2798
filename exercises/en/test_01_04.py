def test():
    assert len(COUNTRIES) == 5, "Read the list of countries from the file."
    assert found == ["Portugal", "Brazil", "Cape Verde"], "Match every country of the text."
    __msg__.good("Well done: a PhraseMatcher takes a whole list of terms.")
