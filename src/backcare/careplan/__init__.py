"""The day-by-day self-care plan (``plan.py``) and its calendar export (``ics.py``).

Pure: the clock comes in as ``now``; the phases, check-in days and texts are
the pack's care table (``content/careplan.yaml``).
"""

from backcare.careplan.ics import care_plan_to_ics
from backcare.careplan.plan import make_care_plan

__all__ = ["care_plan_to_ics", "make_care_plan"]
