"""Pages of points and the rewards shop: members' and units' own, and the staff's."""
