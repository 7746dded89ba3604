"""naviyam.usecases.coupons."""
