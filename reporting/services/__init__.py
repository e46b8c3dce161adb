"""Every write of the reporting app; split by concept (enrollment, activities, check-in, records)."""
