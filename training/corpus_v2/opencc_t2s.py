"""Traditional to simplified Chinese with OpenCC's own tables (Apache-2.0), for training text.

held-out realworld/zh.txt is simplified; most public-domain Chinese fiction in public
repositories is traditional. OpenCC's t2s chain is TSPhrases, then TSCharacters: the
longest phrase that matches at a position wins, otherwise the character's first
candidate. That is what this does, in Python, from the dictionary text files of a
pinned OpenCC commit (no OpenCC install; Debian's libopencc-data ships only compiled
.ocd2 files). Good enough for training data; not a general converter.
"""


def _table(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, values = line.partition("\t")
        if values:
            out[key] = values.split(" ")[0]
    return out


class T2S:
    def __init__(self, phrases_text, characters_text):
        self.phrases = _table(phrases_text)
        self.chars = _table(characters_text)
        self.longest = max((len(k) for k in self.phrases), default=1)

    def __call__(self, s):
        out, i, n = [], 0, len(s)
        while i < n:
            for length in range(min(self.longest, n - i), 1, -1):
                hit = self.phrases.get(s[i:i + length])
                if hit is not None:
                    out.append(hit)
                    i += length
                    break
            else:
                out.append(self.chars.get(s[i], s[i]))
                i += 1
        return "".join(out)


# Mainland punctuation (GB/T 15834): quotation marks are “ ” and ‘ ’, where Taiwan and
# Hong Kong texts, and the traditional-character e-texts we convert, use 「 」 and 『 』.
# OpenCC's t2s leaves punctuation alone; simplified text as people write it (realworld/zh.txt
# among it) has the curly quotes, so converted training text should too.
_MAINLAND_QUOTES = str.maketrans({"「": "“", "」": "”", "『": "‘", "』": "’"})


def mainland_punctuation(s):
    return s.translate(_MAINLAND_QUOTES)


def _selftest():
    t = T2S("# comment\n乾隆\t乾隆\n", "乾\t干 乾\n龍\t龙\n學\t学\n")
    assert t("乾隆學龍") == "乾隆学龙", t("乾隆學龍")
    assert t("乾") == "干" and t("abc") == "abc"
    assert mainland_punctuation("「好『是』」") == "“好‘是’”"


if __name__ == "__main__":
    _selftest()
    print("ok")
