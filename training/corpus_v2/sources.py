"""Writing one corpus v2 source: shared by collect.py (part 1) and collect_repos.py (part 2)."""
import os
import random


class Sources:
    """Source files under `out` and their rows for sources.tsv (source, kind, MB, licence, documents)."""

    def __init__(self, out):
        self.out = out
        self.rows = []

    def write(self, source, kind, licence, docs, limit_mb, doc_limit_kb=None, fill=False):
        """Shuffled documents (fixed seed), blank-line separated, up to limit_mb in all.

        doc_limit_kb cuts each document at a line end; fill=True skips a document that
        would pass the limit and tries the next (part 2), fill=False stops there (part 1,
        kept as it was so that part 1 rebuilds the same bytes)."""
        random.Random(source).shuffle(docs)
        kept, size = [], 0
        for d in docs:
            d = d.replace('\r\n', '\n').strip('\n')
            if doc_limit_kb and len(d.encode('utf-8')) > doc_limit_kb * 1000:
                d = d.encode('utf-8')[: doc_limit_kb * 1000].decode('utf-8', 'ignore')
                d = d[: d.rfind('\n')] if '\n' in d else d
            if len(d) < 200 or '\x00' in d:
                continue
            b = len(d.encode('utf-8'))
            if size + b > limit_mb * 1e6:
                if fill:
                    continue
                break
            kept.append(d)
            size += b
        with open(os.path.join(self.out, source + '.txt'), 'w', encoding='utf-8') as f:
            f.write('\n\n'.join(kept) + '\n')
        self.rows.append((source, kind, f'{size / 1e6:.2f}', licence, str(len(kept))))
        print(source, kind, f'{size / 1e6:.2f} MB', len(kept), 'documents', flush=True)

    def save_tsv(self, append=False):
        """sources.tsv: a header and the rows (append=True: after an existing file's rows, less
        those of the sources written again, so that running a part twice lists each source once)."""
        path = os.path.join(self.out, 'sources.tsv')
        kept = []
        if append and os.path.exists(path):
            names = {r[0] for r in self.rows}
            with open(path, encoding='utf-8') as f:
                kept = [line for line in f if line.split('\t', 1)[0] not in names]
        with open(path, 'w', encoding='utf-8') as f:
            if not kept:
                f.write('source\tkind\tMB\tlicence\tdocuments\n')
            f.writelines(kept)
            for r in self.rows:
                f.write('\t'.join(r) + '\n')
