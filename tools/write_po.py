"""Write a .po fragment from a {msgid: msgstr} dict (used once to seed hand-maintained fragments).
Usage: python tools/write_po.py locale/ja/LC_MESSAGES/core.po < pairs.tsv  (msgid<TAB>msgstr)"""

import sys

import polib


def main(path):
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "MIME-Version": "1.0", "Language": "ja"}
    try:
        existing = polib.pofile(path)
        for entry in existing:
            po.append(entry)
    except OSError:
        pass
    known = {e.msgid for e in po}
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        msgid, msgstr = line.split("\t", 1)
        if msgid in known:
            continue
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
        known.add(msgid)
    po.save(path)


if __name__ == "__main__":
    main(sys.argv[1])
