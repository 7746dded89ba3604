"""Static content the sample-data generator draws from (plain data, no randomness).

- ``places``: the three neighbourhoods shops are placed in (names, streets, coordinates).
- ``shops``: how many shops of each kind, meal-card acceptance, chains, independent
  shop names and owners' messages.
- ``menus``: the menu vocabulary (categories, tags, dietary markers, options) and the
  menu templates per category and per brand.
- ``people``: nicknames, the hand-written demo users and the choices generated users
  draw from.
"""
