"""The bibliography's labels in the author-year form the text cites in ("Zhang et al. 2016", not
"[ZIE16]"): a pybtex formatting style, ``author_year``, that is pybtex's ``unsrt`` with such labels, sorted by
author and year. Selected in ``_config.yml`` with ``bibtex_default_style: author_year``."""
from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as Unsrt
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle


def _surnames(entry) -> list[str]:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    return ["".join(person.last_names) or "".join(person.first_names) for person in people]


class AuthorYearLabels(BaseLabelStyle):
    """"Ghiotto 2021", "Yatziv and Sapiro 2006", "Zhang et al. 2016"; a, b, ... when two would be equal."""

    def format_labels(self, sorted_entries):
        labels = [self.format_label(entry) for entry in sorted_entries]
        count, seen = Counter(labels), Counter()
        for label in labels:
            if count[label] > 1:
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label

    def format_label(self, entry) -> str:
        names = [Text.from_latex(name).render_as("text") for name in _surnames(entry)]  # LaTeX accents as letters
        who = (names[0] if len(names) == 1 else f"{names[0]} and {names[1]}" if len(names) == 2
               else f"{names[0]} et al." if names else entry.key)
        return f"{who} {entry.fields.get('year', '')}".strip()


class AuthorYear(Unsrt):
    default_label_style = AuthorYearLabels
    default_sorting_style = SortingStyle


def setup(app):
    register_plugin("pybtex.style.formatting", "author_year", AuthorYear)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
