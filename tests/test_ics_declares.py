"""A defective variant may claim a feature the reference does not declare (``ics_declares`` in
mocks/defects.json): its ICS then declares it, after what ``ics_undeclares`` leaves out, so
that the scenarios of that feature run against it and fail when it is not implemented."""

from __future__ import annotations

from tests.conftest import REFERENCE_ICS
from tests.test_ics_model import load


def test_a_variant_declares_the_features_its_entry_claims():
    ics = load(REFERENCE_ICS)
    assert "rsa" not in ics.institution.features
    catalogue = {"claims-rsa": {"ics_declares": ["rsa", "void"]},
                 "drops-void": {"ics_undeclares": ["void"]}}
    claimed = ics.with_defects(["claims-rsa"], catalogue)
    assert "rsa" in claimed.institution.features
    assert claimed.institution.features.count("void") == 1      # declared once
    both = ics.with_defects(["claims-rsa", "drops-void"], catalogue)
    assert "void" not in both.institution.features and "rsa" in both.institution.features
    assert claimed.sut.defects == ("claims-rsa",)
