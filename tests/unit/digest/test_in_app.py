import pytest

from faultbox.digest.grouping.in_app import InAppRules, is_in_app
from faultbox.model import Frame


@pytest.mark.parametrize(
    ("frame", "platform"),
    [
        (Frame(abs_path="/venv/lib/python3.11/site-packages/requests/api.py"), "python"),
        (Frame(abs_path="/usr/lib/python3/dist-packages/yaml/__init__.py"), "python"),
        (Frame(abs_path="/usr/lib/python3.11/json/decoder.py"), "python"),
        (Frame(abs_path="/opt/py/lib/python3.12/asyncio/events.py"), "python"),
        (Frame(filename="<frozen importlib._bootstrap>"), "python"),
        (Frame(abs_path="/srv/app/node_modules/express/lib/router.js"), "node"),
        (Frame(filename="node:internal/process/task_queues"), "node"),
        (Frame(abs_path="/var/www/vendor/laravel/framework/src/Foo.php"), "php"),
        (Frame(filename="[native code]"), "javascript"),
        (Frame(function="[native code]"), "javascript"),
        (Frame(module="java.lang.Thread", function="run"), "java"),
        (Frame(module="javax.servlet.http.HttpServlet", function="service"), "java"),
        (Frame(module="sun.nio.ch.Net", function="bind"), "java"),
        (Frame(module="jdk.internal.reflect.Method", function="invoke"), "java"),
        (Frame(module="kotlin.coroutines.Continuation", function="resume"), "java"),
        (Frame(module="android.os.Handler", function="dispatch"), "java"),
        (Frame(module="androidx.fragment.app.Fragment", function="onCreate"), "java"),
        (Frame(module="System.Threading.Tasks.Task", function="Run"), "csharp"),
        (Frame(module="Microsoft.AspNetCore.Mvc", function="Invoke"), "csharp"),
        (Frame(module="runtime", function="goexit", abs_path="/x/proc.go"), "go"),
        (Frame(module="net/http", function="(*conn).serve"), "go"),
        (Frame(abs_path="/usr/local/go/src/net/http/server.go", function="serve"), "go"),
        (Frame(abs_path="/root/go/pkg/mod/github.com/x/y@v1/y.go", function="Do"), "go"),
        (Frame(function="RtlFreeHeap", package="C:\\WINDOWS\\SYSTEM32\\ntdll.dll"), "native"),
        (Frame(), "python"),
    ],
)
def test_library_frames(frame: Frame, platform: str) -> None:
    assert not is_in_app(frame, platform, None)


@pytest.mark.parametrize(
    ("frame", "platform"),
    [
        (Frame(abs_path="/srv/app/shop/views.py", module="shop.views"), "python"),
        (Frame(abs_path="/app/src/index.js", function="handler"), "node"),
        (Frame(module="com.example.shop.Checkout", function="pay"), "java"),
        (Frame(module="main", function="main", abs_path="/home/u/app/main.go"), "go"),
        (Frame(module="github.com/acme/shop/pay", function="Charge"), "go"),
        (Frame(module="runtime.helpers", function="go"), "python"),  # not Go: a package
    ],
)
def test_app_frames(frame: Frame, platform: str) -> None:
    assert is_in_app(frame, platform, None)


def test_sdk_flag_wins_over_heuristics() -> None:
    lib = Frame(abs_path="/venv/lib/python3.11/site-packages/x.py", in_app=True)
    app = Frame(abs_path="/srv/app/shop/views.py", in_app=False)
    assert is_in_app(lib, "python", None)
    assert not is_in_app(app, "python", None)


def test_project_rules_win_over_sdk_flag() -> None:
    rules = InAppRules(include=("vendored_sdk",), exclude=("shop.generated",))
    assert is_in_app(Frame(module="vendored_sdk.client", in_app=False), "python", rules)
    assert not is_in_app(Frame(module="shop.generated.pb", in_app=True), "python", rules)
    assert is_in_app(Frame(module="shop.views", in_app=True), "python", rules)


def test_longest_rule_wins_and_exclude_wins_ties() -> None:
    rules = InAppRules(include=("shop.", "shop.vendor.keep"), exclude=("shop.vendor",))
    assert not is_in_app(Frame(module="shop.vendor.lib"), "python", rules)
    assert is_in_app(Frame(module="shop.vendor.keep.x"), "python", rules)
    tie = InAppRules(include=("shop",), exclude=("shop",))
    assert not is_in_app(Frame(module="shop.x", in_app=True), "python", tie)


def test_rules_match_paths_too() -> None:
    rules = InAppRules(exclude=("/srv/app/generated/",))
    assert not is_in_app(Frame(abs_path="/srv/app/generated/pb.py"), "python", rules)
