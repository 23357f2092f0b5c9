"""GWS4all (Centric, Participatiewet): pushes StUF-ZKN ZDS 1.1 to Ketenbrug's inbox."""
