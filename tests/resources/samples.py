"""Upstream's documented ImageUpdater resources (argocd-image-updater v1.3: config/samples/*.yaml and
docs/examples/index.md), as YAML text keyed by where they come from. Shared by the CRD and merge
tests: each must validate against our CRD and parse into the settings upstream gives it."""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML

SAMPLES = {
    "config/samples/imageupdater.yaml": """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: argocd-image-updater-sample
  namespace: argocd
spec:
  commonUpdateSettings:
    updateStrategy: "semver"
    forceUpdate: true
    allowTags: "regexp:^[0-9a-f]{7}$"
    ignoreTags: [ "latest", "master" ]
    pullSecret: "secret:<namespace>/<secret_name>#<field>"
    platforms: [ "linux/arm64", "linux/amd64" ]
  writeBackConfig:
    method: "git:secret:git-creds"
    gitConfig:
      repository: "git@github.com:example/example.git"
      branch: "main"
      writeBackTarget: "helmvalues:/helm/config/test-values.yaml"
  applicationRefs:
    - namePattern: "*"
      useAnnotations: true
      labelSelectors:
        matchLabels:
          image-updater: my-image-updater
    - namePattern: "app-001"
      images:
        - alias: "test1"
          imageName: "test:1.1.0"
    - namePattern: "app-002"
      commonUpdateSettings:
        updateStrategy: "newest-build"
        forceUpdate: true
        allowTags: "regexp:^[0-9a-f]{7}$"
        ignoreTags: [ "latest", "master" ]
        pullSecret: "secret:<namespace>/<secret_name>#<field>"
        platforms: [ "linux/arm64", "linux/amd64" ]
      writeBackConfig:
        method: "git:secret:git-creds"
        gitConfig:
          repository: "git@github.com:example/example.git"
          branch: "main"
          writeBackTarget: "helmvalues:/helm/config/test-values.yaml"
      images:
        - alias: "test1"
          imageName: "test1:1.1.0"
        - alias: "test2"
          imageName: "test2:2.2.0"
        - alias: "nginx"
          imageName: "nginx:1.17.10"
          commonUpdateSettings:
            updateStrategy: "semver"
            forceUpdate: true
            allowTags: "regexp:^[0-9a-f]{7}$"
            ignoreTags: [ "latest", "master" ]
            pullSecret: "secret:<namespace>/<secret_name>#<field>"
            platforms: [ "linux/arm64", "windows" ]
          manifestTargets:
            helm:
              name: "dex.image.name"
              tag: "dex.image.tag"
              spec: "image/name:1.0"
    - namePattern: "app-*"
      labelSelectors:
        matchLabels:
          app: "true"
        matchExpressions:
          - key: "key"
            operator: In
            values:
              - "value1"
              - "value2"
      images:
        - alias: "nginx"
          imageName: "nginx:1.17.10"
    - namePattern: "app-003"
      images:
        - alias: "nginx"
          imageName: "nginx:1.17.10"
      commonUpdateSettings:
        updateStrategy: "newest-build"
        forceUpdate: true
        allowTags: "regexp:^[0-9a-f]{7}$"
        ignoreTags: [ "latest", "master" ]
        pullSecret: "secret:<namespace>/<secret_name>#<field>"
      writeBackConfig:
        method: "git:secret:git-creds"
        gitConfig:
          repository: "git@github.com:example/example.git"
          branch: "main"
          writeBackTarget: "helmvalues:/helm/config/test-values.yaml"
""",
    "config/samples/imageupdater-short.yaml#0": """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: argocd-image-updater-sample-short
  namespace: argocd
spec:
  applicationRefs:
    - namePattern: "app-001"
      images:
        - alias: "nginx"
          imageName: "nginx:1.17.10"
""",
    "config/samples/imageupdater-short.yaml#1": """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: argocd-image-updater-sample-short-1
  namespace: argocd
spec:
  applicationRefs:
    - namePattern: "*"
      useAnnotations: true
      labelSelectors:
        matchLabels:
          image-updater: my-image-updater
""",
    "config/samples/imageupdater-plugin.yaml": """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: argocd-image-updater-sample-plugin
  namespace: argocd
spec:
  applicationRefs:
    - namePattern: "my-plugin-app"
      images:
        - alias: "myapp"
          imageName: "myregistry/myapp:1.x"
          manifestTargets:
            plugin:
              name: "IMAGE_NAME"
              tag: "IMAGE_TAG"
    - namePattern: "my-plugin-app-spec"
      images:
        - alias: "myapp"
          imageName: "myregistry/myapp:1.x"
          manifestTargets:
            plugin:
              spec: "APP_IMAGE"
""",
    "config/samples/imageupdater-pull-request.yaml": """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: argocd-image-updater-github
  namespace: argocd
spec:
  writeBackConfig:
    method: "git:secret:git-creds"
    gitConfig:
      pullRequest:
        github: {}
        labels:
          - image-update
      repository: "https://github.com/example/example.git"
  applicationRefs:
    - namePattern: "app-001"
      images:
        - alias: "nginx"
          imageName: "nginx:1.17.10"
      writeBackConfig:
        method: "git:secret:git-creds"
        gitConfig:
          branch: "main"
          writeBackTarget: "helmvalues:/helm/config/test-values.yaml"
""",
    "config/samples/imageupdater-verification.yaml": """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: argocd-image-updater-verification
  namespace: argocd
spec:
  imagesVerification:
    cosignKey:
      secretName: myapp-cosign-pubkey
      key: cosign.pub
  applicationRefs:
    - namePattern: "my-app"
      images:
        - alias: "backend"
          imageName: "ghcr.io/org/backend:1.0.0"
        - alias: "no-signature"
          imageName: "no-signature:1.25.0"
          imagesVerification:
            enabled: false
""",
    "docs/examples: basic with global defaults": """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: my-image-updater
  namespace: argocd
spec:
  commonUpdateSettings:
    updateStrategy: "semver"
    forceUpdate: false
  applicationRefs:
    - namePattern: "my-app-*"
      images:
        - alias: "nginx"
          imageName: "nginx:1.20"
""",
    "docs/examples: application-specific overrides": """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: my-image-updater
  namespace: argocd
spec:
  commonUpdateSettings:
    updateStrategy: "semver"
  applicationRefs:
    - namePattern: "production-*"
      commonUpdateSettings:
        updateStrategy: "digest"
      images:
        - alias: "app"
          imageName: "myapp:latest"
    - namePattern: "staging-*"
      images:
        - alias: "app"
          imageName: "myapp:latest"
          commonUpdateSettings:
            updateStrategy: "newest-build"
""",
    "docs/examples: git write-back": """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: my-image-updater
  namespace: argocd
spec:
  writeBackConfig:
    method: "git"
    gitConfig:
      repository: "git@github.com:myorg/myrepo.git"
      branch: "main"
      writeBackTarget: "helmvalues:./values.yaml"
  applicationRefs:
    - namePattern: "my-app-*"
      images:
        - alias: "nginx"
          imageName: "nginx:1.20"
          manifestTargets:
            helm:
              name: "image.repository"
              tag: "image.tag"
""",
    "docs/examples: digest strategy": """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: dev-image-updater
  namespace: argocd
spec:
  commonUpdateSettings:
    updateStrategy: "digest"
  writeBackConfig:
    method: "argocd"
  applicationRefs:
    - namePattern: "dev"
      images:
        - alias: "api"
          imageName: "registry.com/vendor/api:latest"
        - alias: "front"
          imageName: "registry.com/vendor/front:latest"
""",
    "docs/examples: semver with constraints": """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: prod-image-updater
  namespace: argocd
spec:
  writeBackConfig:
    method: "argocd"
  applicationRefs:
    - namePattern: "prod"
      images:
        - alias: "api"
          imageName: "registry.com/vendor/api:1.x"
          commonUpdateSettings:
            updateStrategy: "semver"
        - alias: "front"
          imageName: "registry.com/vendor/front:1.x"
          commonUpdateSettings:
            updateStrategy: "semver"
""",
}


def load(name: str) -> dict[str, Any]:
    """One sample as plain data (safe loader)."""
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(SAMPLES[name])
    return data
