"""image-updater: keeps the images of Argo CD Applications current, as argocd-image-updater does.

Public surface: the version string. Everything else is reached through its module
(`image_updater.refs`, `image_updater.semver`, `image_updater.selection`, ...).
"""

__version__ = "0.1.0"
