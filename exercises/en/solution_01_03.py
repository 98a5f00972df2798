import spacy
from spacy.matcher import Matcher

nlp = spacy.blank("en")
matcher = Matcher(nlp.vocab)
doc = nlp("Is the iPhone 15 better than the iphone 14?")

# "iphone" in any capitalization, then a number
pattern = [{"LOWER": "iphone"}, {"IS_DIGIT": True}]
matcher.add("IPHONE", [pattern])
found = [doc[start:end].text for match_id, start, end in matcher(doc)]
print(found)
