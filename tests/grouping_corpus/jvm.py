"""Java, Kotlin and .NET bugs of the shop's back-office services, as text traces.

Variants move lines between releases, come through Spring's CGLIB proxies (Spring
Boot 2 and 3 name them differently) and ``$$Lambda$`` classes, run on other
threads, nest causes (``Caused by:`` / ``--->``) and cross library versions.
"""

from __future__ import annotations

from tests.grouping_corpus.native import Labeled, fill, native, trace

ORDER_NPE = trace("order_npe.txt")

ORDER_NPE_WEB = trace("order_npe_web.txt")

ORDER_NPE_KAFKA = trace("order_npe_kafka.txt")

PAYMENT_NPE = trace("payment_npe.txt")

# Raised deep inside Jackson; the " at [Source: ...]" line is part of Jackson's message.
JACKSON_MISMATCH = trace("jackson_mismatch.txt")

JACKSON_OBJECT = trace("jackson_object.txt")

JACKSON_STRING = trace("jackson_string.txt")

# A unique-key violation found at commit: the app frame is the service behind its proxy.
DUPLICATE_KEY = trace("duplicate_key.txt")

HIBERNATE_62 = trace("hibernate_62.txt")

HIBERNATE_64 = trace("hibernate_64.txt")

STOCK_SYNC = trace("stock_sync.txt")

DISPATCH_IO = trace("dispatch_io.txt")

DISPATCH_BLOCKING = trace("dispatch_blocking.txt")

DOTNET_NRE = trace("dotnet_nre.txt")

DOTNET_EMPTY = trace("dotnet_empty.txt")

CONTROLLER = trace("controller.txt")
IMPORTER = trace("importer.txt")

# Spring Boot 2 and 3 name the CGLIB proxy classes differently.
BOOT2 = "$$EnhancerBySpringCGLIB$$5e3a1f2b"
BOOT3 = "$$SpringCGLIB$$0"
NPE_MESSAGE = ': Cannot invoke "com.shop.customers.Customer.getEmail()" because "customer" is null'


def _java(label: str, error_type: str, stack: str, service: str = "orders") -> Labeled:
    first = stack.split("\n", 1)[0]
    message = first.partition(": ")[2] or error_type
    return native(label, error_type, message, stack, service=service)


def events() -> list[Labeled]:
    out = [
        _java(
            "java.order-npe",
            "java.lang.NullPointerException",
            fill(
                ORDER_NPE,
                prefix="",
                message=NPE_MESSAGE,
                line=88,
                jdk=833,
                callers=fill(ORDER_NPE_WEB, line2=61, proxy=BOOT2),
            ),
        ),
        _java(
            "java.order-npe",
            "java.lang.NullPointerException",
            fill(
                ORDER_NPE,
                prefix="",
                message=NPE_MESSAGE,
                line=93,
                jdk=1583,
                callers=fill(ORDER_NPE_WEB, line2=66, proxy=BOOT3),
            ),
        ),
        _java(
            "java.order-npe",
            "java.lang.NullPointerException",
            fill(
                ORDER_NPE,
                prefix='Exception in thread "order-events-0" ',
                message=NPE_MESSAGE,
                line=93,
                jdk=1583,
                callers=fill(ORDER_NPE_KAFKA, line2=120),
            ),
        ),
        # The same bug on a Java 11 host: NullPointerException without a message.
        _java(
            "java.order-npe",
            "java.lang.NullPointerException",
            fill(
                ORDER_NPE,
                prefix="",
                message="",
                line=88,
                jdk=834,
                callers=fill(ORDER_NPE_WEB, line2=61, proxy=BOOT2),
            ),
        ),
        _java("java.payment-npe", "java.lang.NullPointerException", fill(PAYMENT_NPE, line=57)),
        _java("java.payment-npe", "java.lang.NullPointerException", fill(PAYMENT_NPE, line=60)),
    ]
    webhook = "\tat com.shop.payments.WebhookController.parse(WebhookController.java:{})\n" + (
        "\tat com.shop.payments.WebhookController.receive(WebhookController.java:38)"
    )
    refund = "\tat com.shop.payments.RefundController.read(RefundController.java:{})\n" + (
        "\tat com.shop.payments.RefundController.refund(RefundController.java:71)"
    )
    object_value = "Object value (token `JsonToken.START_OBJECT`)"
    for label, app, reference, what, body, jackson in (
        (
            "java.webhook-json",
            webhook.format(52),
            "WebhookEvent",
            object_value,
            '{"id":"evt_1","amount":{"value":12}}',
            JACKSON_OBJECT,
        ),
        (
            "java.webhook-json",
            webhook.format(55),
            "WebhookEvent",
            'String "12,50": not a valid representation',
            '{"id":"evt_977","amount":"12,50"}',
            JACKSON_STRING,
        ),
        (
            "java.webhook-json",
            webhook.format(55),
            "WebhookEvent",
            object_value,
            '{"id":"evt_31","amount":{"cents":1250}}',
            JACKSON_OBJECT,
        ),
        # Another endpoint, the same Jackson failure: another bug.
        (
            "java.refund-json",
            refund.format(64),
            "RefundRequest",
            object_value,
            '{"order":17,"amount":{"value":5}}',
            JACKSON_OBJECT,
        ),
        (
            "java.refund-json",
            refund.format(66),
            "RefundRequest",
            object_value,
            '{"order":4242,"amount":{}}',
            JACKSON_OBJECT,
        ),
    ):
        stack = fill(
            JACKSON_MISMATCH,
            app=app,
            reference=f'com.shop.payments.{reference}["amount"]',
            what=what,
            body=body,
            col=len(body) - 12,
            jackson=jackson,
        )
        out.append(
            _java(
                label,
                "com.fasterxml.jackson.databind.exc.MismatchedInputException",
                stack,
                service="payments",
            )
        )
    customer = (
        "com.shop.customers.CustomerService",
        "register",
        "customer",
        "uk_customer_email",
        "\tat com.shop.web.SignupController.signup(SignupController.java:29)",
    )
    newsletter = (
        "com.shop.mail.NewsletterService",
        "subscribe",
        "subscriber",
        "uk_subscriber_email",
        "\tat com.shop.web.NewsletterController.join(NewsletterController.java:40)",
    )
    for label, (service, method, table, constraint, controller), email, spring, proxy, hib in (
        ("java.duplicate-customer", customer, "jane@example.com", 290, BOOT2, HIBERNATE_62),
        ("java.duplicate-customer", customer, "omar@example.org", 277, BOOT3, HIBERNATE_64),
        ("java.duplicate-customer", customer, "li.wei@example.cn", 277, BOOT3, HIBERNATE_64),
        # A unique key of another table, violated by another service: another bug.
        ("java.newsletter-duplicate", newsletter, "jane@example.com", 277, BOOT3, HIBERNATE_64),
        ("java.newsletter-duplicate", newsletter, "ops@example.net", 290, BOOT2, HIBERNATE_62),
    ):
        stack = fill(
            DUPLICATE_KEY,
            email=email,
            spring=spring,
            proxy=proxy,
            hibernate=hib,
            more=9,
            more2=21 if hib is HIBERNATE_62 else 24,
            service=service,
            method=method,
            table=table,
            constraint=constraint,
            controller=controller,
        )
        out.append(
            _java(
                label,
                "org.springframework.dao.DataIntegrityViolationException",
                stack,
                service="customers",
            )
        )
    for sku, level, line, dispatcher in (
        ("SKU-1001", -4, 57, DISPATCH_IO),
        ("SKU-2002", -1, 61, DISPATCH_IO),
        ("SKU-1001", -12, 61, DISPATCH_BLOCKING),
    ):
        stack = fill(STOCK_SYNC, sku=sku, level=level, line=line, dispatcher=dispatcher)
        out.append(
            _java(
                "kotlin.stock-negative",
                "java.lang.IllegalStateException",
                stack,
                service="stock-sync",
            )
        )
    for ordinal, where, caller in (
        (5, " in /src/Shop/Orders/OrderService.cs:line 42", CONTROLLER),
        (7, " in /src/Shop/Orders/OrderService.cs:line 45", CONTROLLER),
        (7, "", IMPORTER),  # a build shipped without its .pdb: no file, no line
    ):
        stack = fill(DOTNET_NRE, ordinal=ordinal, where=where, caller=caller)
        out.append(
            native(
                "dotnet.order-null",
                "System.NullReferenceException",
                "Object reference not set to an instance of an object.",
                stack,
                service="orders-dotnet",
            )
        )
    for ordinal, line in ((5, 38), (7, 41)):
        out.append(
            native(
                "dotnet.order-no-lines",
                "System.InvalidOperationException",
                "Sequence contains no elements",
                fill(DOTNET_EMPTY, ordinal=ordinal, line=line),
                service="orders-dotnet",
            )
        )
    return out


HARD_NEGATIVES = (
    ("java.order-npe", "java.payment-npe", "NullPointerException 'Cannot invoke ...', two methods"),
    ("java.webhook-json", "java.refund-json", "Jackson MismatchedInputException, two endpoints"),
    ("java.duplicate-customer", "java.newsletter-duplicate", "unique violations, two services"),
    ("dotnet.order-null", "dotnet.order-no-lines", "one async method, another exception type"),
)
