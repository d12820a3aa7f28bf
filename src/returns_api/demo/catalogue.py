"""The demo shop's catalogue: a mid-size fashion-and-lifestyle shop.

Six categories, each with its own price range, return propensity and reasons (shoes come
back for size, electronics for defects, home goods arrive damaged), and a few "problem"
products whose description oversells them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    products: tuple[str, ...]
    price_range: tuple[int, int]  # minor units
    sizes: tuple[str, ...]
    return_probability: float  # per line sold
    reasons: dict[str, int]  # relative weights


CATEGORIES = (
    Category(
        "tops",
        ("Linen shirt", "Basic tee", "Merino jumper", "Hoodie", "Oxford shirt", "Polo"),
        (1500, 6500),
        ("S", "M", "L", "XL"),
        0.20,
        {
            "size_fit": 48,
            "changed_mind": 16,
            "poor_quality": 12,
            "not_as_described": 9,
            "damaged": 4,
            "wrong_item": 4,
            "defective": 2,
            "late_delivery": 5,
        },
    ),
    Category(
        "dresses",
        ("Wrap dress", "Maxi dress", "Shirt dress", "Slip dress"),
        (3500, 12000),
        ("XS", "S", "M", "L"),
        0.32,
        {
            "size_fit": 52,
            "changed_mind": 18,
            "not_as_described": 12,
            "poor_quality": 9,
            "damaged": 3,
            "wrong_item": 3,
            "late_delivery": 3,
        },
    ),
    Category(
        "shoes",
        ("Running shoe", "Leather boot", "Canvas sneaker", "Sandal"),
        (4000, 16000),
        ("38", "39", "40", "41", "42", "43", "44"),
        0.27,
        {
            "size_fit": 62,
            "changed_mind": 12,
            "poor_quality": 8,
            "defective": 5,
            "damaged": 4,
            "wrong_item": 4,
            "not_as_described": 5,
        },
    ),
    Category(
        "electronics",
        ("Wireless earbuds", "Phone charger", "Smart bulb", "Bluetooth speaker", "Power bank"),
        (1500, 25000),
        (),
        0.07,
        {
            "defective": 38,
            "damaged": 18,
            "changed_mind": 18,
            "not_as_described": 14,
            "wrong_item": 6,
            "late_delivery": 6,
        },
    ),
    Category(
        "home",
        ("Ceramic mug", "Table lamp", "Linen cushion", "Glass vase", "Throw blanket"),
        (900, 9000),
        (),
        0.06,
        {
            "damaged": 42,
            "not_as_described": 18,
            "changed_mind": 18,
            "poor_quality": 12,
            "wrong_item": 6,
            "late_delivery": 4,
        },
    ),
    Category(
        "beauty",
        ("Face serum", "Hand cream", "Perfume", "Lip balm"),
        (600, 7000),
        (),
        0.04,
        {
            "changed_mind": 40,
            "damaged": 25,
            "not_as_described": 15,
            "defective": 10,
            "wrong_item": 10,
        },
    ),
)


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    title: str
    category: Category
    price: int
    quality: float  # multiplies the category's return probability
    oversold: bool  # its description promises more than it is: "not as described" spikes
    variants: tuple[tuple[str, str], ...]  # (variant id, sku)


def make_catalogue(rng: random.Random) -> list[Product]:
    """Every product of the shop, with its price, quality and whether it is oversold drawn
    from `rng` (the first draws of a run: the same seed gives the same shop)."""
    products = []
    for category in CATEGORIES:
        for index, title in enumerate(category.products):
            low, high = category.price_range
            product_id = f"demo-{category.name}-{index + 1}"
            sizes = category.sizes or ("",)
            variants = tuple(
                (
                    f"{product_id}-{size or 'one'}",
                    f"{category.name[:3].upper()}-{index + 1:02d}{'-' + size if size else ''}",
                )
                for size in sizes
            )
            products.append(
                Product(
                    product_id=product_id,
                    title=title,
                    category=category,
                    price=rng.randrange(low, high, 100) - 1,  # x.99 prices
                    quality=rng.choice((0.6, 0.8, 1.0, 1.0, 1.0, 1.2, 1.5)),
                    oversold=rng.random() < 0.12,
                    variants=variants,
                )
            )
    return products
