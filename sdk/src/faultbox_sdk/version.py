"""The SDK's name and version, as it reports itself."""

VERSION = "0.1.0"
SDK_NAME = "faultbox.python"
