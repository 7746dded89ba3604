"""The operator's queue of closure reports (issue 12): "거기 문 닫았던데" from children.

``GET /api/v1/operator/closure-reports?status=pending`` lists them (newest first, with the
shop's name and address); ``POST /api/v1/operator/closure-reports/{id}`` confirms or dismisses
one. Operator bearer token only (``NAVIYAM_OPERATOR_TOKEN``, docs/SHOP_CONSOLE.md).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from naviyam.shop_service.security import Caller, now, operator
from naviyam.usecases import feedback

router = APIRouter(prefix="/api/v1/operator", tags=["operator"])
ReportId = Annotated[int, Path(ge=1, le=2**62)]


class Resolution(BaseModel):
    status: Literal["confirmed", "dismissed"]
    note: str | None = Field(None, max_length=500)


@router.get("/closure-reports")
def closure_reports(status: Literal["pending", "confirmed", "dismissed", "all"] = "pending",
                    limit: Annotated[int, Query(ge=1, le=500)] = 100,
                    who: Caller = Depends(operator)) -> dict[str, Any]:
    reports = feedback.closure_queue(None if status == "all" else status, limit)
    return {"status": status, "count": len(reports), "reports": reports}


@router.post("/closure-reports/{report_id}")
def resolve(report_id: ReportId, body: Resolution, who: Caller = Depends(operator)) -> dict[str, Any]:
    try:
        return feedback.resolve_closure(report_id, body.status, body.note, now())
    except LookupError as exc:
        raise HTTPException(404, "없는 신고예요.") from exc
