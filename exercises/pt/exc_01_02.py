import spacy

nlp = spacy.blank("pt")
doc = nlp("Eu gosto de café")

# O hash de "café", depois a string desse hash
hash_cafe = nlp.vocab.strings[____]
string_cafe = nlp.vocab.strings[____]
print(hash_cafe, string_cafe)
