"""The JSON API (``/api/v1``): redemptions, menus, hours, today's activity, operator endpoints."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Header, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from naviyam.domain.hours import WEEKDAYS
from naviyam.shop_service.security import Caller, caller, for_shop, now, operator
from naviyam.usecases import operator_api, shop_console

router = APIRouter(prefix="/api/v1")
Weekday = Literal[WEEKDAYS]  # type: ignore[valid-type]
MAX_ID = 2**31 - 1  # PostgreSQL integer ids
ShopId = Annotated[int, Path(ge=1, le=MAX_ID)]
MenuId = Annotated[int, Path(ge=1, le=MAX_ID)]
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]


class RedemptionRequest(BaseModel):
    code: str = Field(min_length=1, max_length=32, description="the redeem code the child shows")
    shop_id: int = Field(ge=1, le=2**31 - 1)
    order_amount: int = Field(ge=0, le=10_000_000, description="the order total in won, before the discount")


class RedemptionResponse(BaseModel):
    status: str
    reason: str
    message: str
    coupon_id: str | None = None
    coupon_name: str | None = None
    discount: int = 0
    order_amount: int | None = None
    final_amount: int | None = None
    used_at: str | None = None
    min_order_amount: int | None = None


class Problem(BaseModel):
    detail: str
    reason: str | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (401, 403, 404, 409, 422)
}


@router.post("/redemptions", response_model=RedemptionResponse, responses=ERRORS, tags=["redemptions"])
def create_redemption(body: RedemptionRequest, tasks: BackgroundTasks, who: Caller = Depends(caller),
                      idempotency_key: str | None = Header(None, max_length=100)) -> Any:
    """Redeem a child's code at a shop: 200 discount and final amount; 404 unknown code;
    409 already used or expired; 403 other shop; 422 below the minimum order."""
    for_shop(who, body.shop_id)
    outcome = shop_console.redeem_at_shop(body.code, body.shop_id, body.order_amount, now(),
                                          idempotency_key=f"api:{idempotency_key}" if idempotency_key else None)
    if outcome.http_status != 200:
        return JSONResponse({"detail": outcome.message, "reason": outcome.result.reason},
                            status_code=outcome.http_status)
    if outcome.result.status == "REDEEMED":
        tasks.add_task(shop_console.notify_redeemed, outcome.result.wallet_id)
    return outcome.as_payload()


class MenuState(BaseModel):
    available: bool


@router.get("/shops/{shop_id}/menus", tags=["shop"], responses=ERRORS)
def list_menus(shop_id: ShopId, who: Caller = Depends(caller)) -> list[dict[str, Any]]:
    for_shop(who, shop_id)
    return [m.__dict__ for m in shop_console.shop_menus(shop_id)]


@router.put("/shops/{shop_id}/menus/{menu_id}", tags=["shop"], responses=ERRORS)
def set_menu(shop_id: ShopId, menu_id: MenuId, body: MenuState, who: Caller = Depends(caller)) -> dict[str, Any]:
    """Mark a menu sold out (``available: false``) or available again; the recommender
    sees it within seconds."""
    for_shop(who, shop_id)
    if not shop_console.set_menu_available(shop_id, menu_id, body.available):
        raise HTTPException(404, "이 가게의 메뉴가 아니에요.")
    return {"menu_id": menu_id, "available": body.available}


class DayHours(BaseModel):
    closed: bool = False
    open: str | None = Field(None, pattern=r"^\d{2}:\d{2}$", examples=["11:00"])
    close: str | None = Field(None, pattern=r"^\d{2}:\d{2}$", examples=["21:00"])
    break_start: str | None = Field(None, pattern=r"^\d{2}:\d{2}$", examples=["15:00"])
    break_end: str | None = Field(None, pattern=r"^\d{2}:\d{2}$", examples=["17:00"])


@router.get("/shops/{shop_id}/hours", tags=["shop"], responses=ERRORS)
def get_hours(shop_id: ShopId, who: Caller = Depends(caller)) -> dict[str, Any]:
    for_shop(who, shop_id)
    hours = shop_console.shop_hours(shop_id)
    if hours is None:
        raise HTTPException(404, "없는 가게예요.")
    return {"today": shop_console.today_weekday(now()), "business_hours": hours}


@router.put("/shops/{shop_id}/hours/{weekday}", tags=["shop"], responses=ERRORS)
def put_hours(shop_id: ShopId, weekday: Weekday, body: DayHours, who: Caller = Depends(caller)) -> dict[str, Any]:
    """One weekday's hours, or closed that day (today's weekday: see GET .../hours)."""
    for_shop(who, shop_id)
    try:
        hours = shop_console.set_day_hours(shop_id, weekday, open_at=body.open, close_at=body.close,
                                           closed=body.closed, break_start=body.break_start,
                                           break_end=body.break_end)
    except ValueError as exc:
        raise HTTPException(422, f"시간을 확인해 주세요: {exc}") from exc
    except LookupError as exc:
        raise HTTPException(404, "없는 가게예요.") from exc
    return {"business_hours": hours}


@router.get("/shops/{shop_id}/today", tags=["shop"], responses=ERRORS)
def today(shop_id: ShopId, who: Caller = Depends(caller)) -> dict[str, Any]:
    """Today's redemptions and the reservations still held for this shop."""
    for_shop(who, shop_id)
    return shop_console.today_activity(shop_id, now()).__dict__


# ------------------------------------------------------------ seed 004 §6.1 (operator token)

class ApplyRequest(BaseModel):
    user_id: int = Field(ge=1, le=2**31 - 1)
    coupon_id: str | None = Field(None, max_length=50)
    wallet_id: int | None = Field(None, ge=1, le=2**62)
    shop_id: int = Field(ge=1, le=2**31 - 1)
    order_amount: int = Field(ge=0, le=10_000_000)
    idempotency_key: str = Field(min_length=1, max_length=100)


class Preferences(BaseModel):
    foods: list[str] = Field(default_factory=list, max_length=20)
    budget: int | None = Field(None, ge=0, le=1_000_000)
    restrictions: list[str] = Field(default_factory=list, max_length=20)


@router.get("/users/{user_id}/coupons", tags=["operator"], responses=ERRORS)
def get_user_coupons(user_id: UserId, who: Caller = Depends(operator)) -> dict[str, Any]:
    try:
        return operator_api.user_coupons(user_id, now())
    except LookupError as exc:
        raise HTTPException(404, "없는 사용자예요.") from exc


@router.post("/coupons/apply", tags=["operator"], responses=ERRORS)
def apply_coupon(body: ApplyRequest, who: Caller = Depends(operator)) -> Any:
    """Redeem a wallet coupon for an order (idempotent by ``idempotency_key``)."""
    if body.wallet_id is None and body.coupon_id is None:
        raise HTTPException(422, "coupon_id 또는 wallet_id가 필요해요.")
    result = operator_api.apply_coupon(user_id=body.user_id, coupon_id=body.coupon_id, wallet_id=body.wallet_id,
                                       shop_id=body.shop_id, order_amount=body.order_amount,
                                       idempotency_key=body.idempotency_key, now=now())
    if not result.ok:
        status = shop_console.HTTP_STATUS.get(result.reason, 409)
        return JSONResponse({"detail": shop_console.MESSAGES.get(result.reason, result.reason),
                             "reason": result.reason}, status_code=status)
    return result.as_payload()


@router.get("/users/{user_id}/profile", tags=["operator"], responses=ERRORS)
def get_profile(user_id: UserId, who: Caller = Depends(operator)) -> dict[str, Any]:
    try:
        return operator_api.user_profile(user_id)
    except LookupError as exc:
        raise HTTPException(404, "없는 사용자예요.") from exc


@router.put("/users/{user_id}/preferences", tags=["operator"], responses=ERRORS)
def put_preferences(user_id: UserId, body: Preferences, who: Caller = Depends(operator)) -> dict[str, Any]:
    try:
        return operator_api.update_preferences(user_id, foods=body.foods, budget=body.budget,
                                               restrictions=body.restrictions)
    except LookupError as exc:
        raise HTTPException(404, "없는 사용자예요.") from exc
    except ValueError as exc:
        raise HTTPException(422, "예산 값을 확인해 주세요.") from exc

