"""`validate` results for tools: JSON (kind ValidationResult) and JUnit XML (like kubeconform).

Both carry the counts of checked, valid, invalid and skipped documents. In JUnit each document is a
test case: an error (or, under --strict, any diagnostic) is a failure, a kind np2calico does not
use is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree import ElementTree

from translator.errors import Diagnostic, Level, Location
from translator.render.envelope import diagnostic_to_dict, envelope


@dataclass(frozen=True)
class DocumentResult:
    location: Location
    diagnostics: tuple[Diagnostic, ...]
    skipped: bool  # a kind np2calico does not use

    @property
    def invalid(self) -> bool:
        return any(d.level is Level.ERROR for d in self.diagnostics)


@dataclass(frozen=True)
class ValidationResult:
    documents: tuple[DocumentResult, ...]  # in input order
    diagnostics: tuple[Diagnostic, ...]  # all of them, in report order
    strict: bool

    def failing(self, diagnostics: tuple[Diagnostic, ...]) -> tuple[Diagnostic, ...]:
        """What fails a run: errors, or under --strict every diagnostic whatever its level."""
        return tuple(d for d in diagnostics if self.strict or d.level is Level.ERROR)

    @property
    def passed(self) -> bool:
        return not self.failing(self.diagnostics)

    def summary(self) -> dict[str, int]:
        invalid = sum(d.invalid for d in self.documents)
        skipped = sum(d.skipped and not d.invalid for d in self.documents)
        return {
            "documents": len(self.documents),
            "valid": len(self.documents) - invalid - skipped,
            "invalid": invalid,
            "skipped": skipped,
            "errors": sum(d.level is Level.ERROR for d in self.diagnostics),
            "warnings": sum(d.level is Level.WARNING for d in self.diagnostics),
            "info": sum(d.level is Level.INFO for d in self.diagnostics),
        }


def to_json(result: ValidationResult) -> str:
    body = {
        "passed": result.passed,
        "strict": result.strict,
        "summary": result.summary(),
        "diagnostics": [diagnostic_to_dict(d) for d in result.diagnostics],
    }
    return json.dumps(envelope("ValidationResult", body), indent=2) + "\n"


def to_junit(result: ValidationResult) -> str:
    summary = result.summary()
    suite = ElementTree.Element("testsuite", name="np2calico validate", tests=str(summary["documents"]),
                                errors="0", skipped=str(summary["skipped"]))
    failures = 0
    for document in result.documents:
        where = document.location
        case = ElementTree.SubElement(suite, "testcase", classname=where.file, name=str(where))
        problems = result.failing(document.diagnostics)
        if problems:
            failures += 1
            failure = ElementTree.SubElement(case, "failure", type=problems[0].level.value,
                                             message=problems[0].message)
            failure.text = "\n".join(str(d) for d in problems)
        elif document.skipped:
            ElementTree.SubElement(case, "skipped", message="a kind np2calico does not use")
    suite.set("failures", str(failures))
    ElementTree.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suite, encoding="unicode") + "\n"


RENDERERS: dict[str, Callable[[ValidationResult], str]] = {"json": to_json, "junit": to_junit}
