from cashier_app.cli import main

raise SystemExit(main())
