"""Write-back: text transforms per target (pure) and the git adapter that commits them."""
