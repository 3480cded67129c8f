"""Writes ``labelled.jsonl``: the labelled listings the matching engine is measured on.

Run ``python -m tests.matching.make_labelled`` after changing it; ``tests/test_match_labelled.py``
fails when the file and this script disagree. Each row: ``brand`` (slug), ``label``, ``trick`` (what
the row exercises), ``listing`` (the record ``markwatch match`` reads) and ``photos`` (specs for
:mod:`tests.matching.photos`, turned into ``image_paths`` by the test).

Labels: ``infringement`` (clear: must be a suspect), ``unrelated`` and ``authorised`` (must not be),
``grey`` (a reseller of genuine goods: reported, not scored either way). Titles follow how real
Taobao/JD/Weibo listings read (../shared/docs/domain.md); the brands are the two fictional examples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("labelled.jsonl")

rows: list[dict[str, Any]] = []


def add(
    brand: str,
    label: str,
    trick: str,
    title: str,
    price: float | None = None,
    *,
    platform: str = "taobao",
    seller_id: str | None = None,
    seller_name: str | None = None,
    photos: list[str] | None = None,
    kind: str = "product",
    currency: str = "CNY",
    seen_at: str = "2026-11-20T03:00:00Z",
) -> None:
    n = len(rows) + 1
    listing: dict[str, Any] = {
        "platform": platform,
        "item_id": f"L{n:04d}",
        "url": f"https://example.invalid/{platform}/{n}",
        "title": title,
        "price": price,
        "currency": currency,
        "seller_id": seller_id or f"s{n:04d}",
        "seller_name": seller_name or f"店铺{n:04d}",
        "kind": kind,
        "seen_at": seen_at,
    }
    rows.append({"brand": brand, "label": label, "trick": trick, "listing": listing, "photos": photos or []})


INF, UNREL, AUTH, GREY = "infringement", "unrelated", "authorised", "grey"

# ---------------------------------------------------------------------------------------------------
# Veloria (leather goods, floor ¥1500)
# ---------------------------------------------------------------------------------------------------
V = "veloria"
# the plain mark with counterfeit words or a low price
add(V, INF, "exact+lexicon", "VELORIA 女包 高仿 手提包 2026新款", 389)
add(V, INF, "exact+lexicon", "Veloria 精仿 链条包 专柜品质", 560)
add(V, INF, "exact+lexicon", "veloria 复刻 托特包 原单品质 真皮", 720)
add(V, INF, "exact+lexicon", "薇洛瑞亚 女包 A货 原单 尾单 清仓", 268)
add(V, INF, "exact+lexicon", "VELORIA手提包 1:1 专柜 原厂皮", 890)
add(V, INF, "exact+lexicon", "薇洛瑞亚 一比一 包包 真标 剪标 工厂直发", 450)
add(V, INF, "exact+lexicon", "Veloria 超A 顶级版本 手袋", 1280)
add(V, INF, "exact+lexicon", "薇洛瑞亚同款 高版本 钱包 女", 199)
add(V, INF, "exact+price", "VELORIA 女士单肩包 新款", 159)
add(V, INF, "exact+price", "薇洛瑞亚 经典款手提包 真皮", 299)
add(V, INF, "exact+price", "VELORIA Classic Tote 大容量", 99)
add(V, INF, "exact+lexicon", "replica VELORIA bag mirror quality", None, platform="weibo", kind="post")
# contact words (Weibo posts, no price)
add(V, INF, "contact", "薇洛瑞亚新款到货 加微信看实拍 V信同号", None, platform="weibo", kind="post")
add(V, INF, "contact", "VELORIA 包包 私聊 VX: abc123 拿货", None, platform="weibo", kind="post")
add(V, INF, "contact", "veloria 原单 找我代 扣扣联系", None, platform="weibo", kind="post")
add(V, INF, "contact", "#薇洛瑞亚# 工厂出货 薇信私聊", None, platform="weibo", kind="post")
# case and full width
add(V, INF, "fullwidth", "ＶＥＬＯＲＩＡ 女包 新款 高仿", 420)
add(V, INF, "fullwidth", "ｖｅｌｏｒｉａ手提包", 260)
add(V, INF, "case", "vElOrIa 包包 A货", 300)
# letters set apart
add(V, INF, "spaced", "V E L O R I A 女包 新款", 350)
add(V, INF, "spaced", "V.E.L.O.R.I.A 手提包 大号", 499)
add(V, INF, "spaced", "V-E-L-O-R-I-A 链条包", 420)
add(V, INF, "spaced", "V*E*L*O*R*I*A 单肩包 女", None, platform="weibo", kind="post")
add(V, INF, "spaced", "V_E_L_O_R_I_A tote", 380)
add(V, INF, "spaced", "VELO RIA 托特包", 360)
add(V, INF, "spaced", "薇*洛*瑞*亚 女包", 330)
add(V, INF, "spaced", "薇 洛 瑞 亚 手提包 真皮", 410)
add(V, INF, "spaced", "薇.洛.瑞.亚 包包 精仿", None, platform="weibo", kind="post")
# digits and look-alike letters
add(V, INF, "digits", "VEL0RIA 女包 高仿", 300)
add(V, INF, "digits", "V3L0R1A 手提包", 280)
add(V, INF, "digits", "Vel0ria tote bag 复刻", 450)
add(V, INF, "cyrillic", "VЕLОRIА 女包 新款", 310)  # Cyrillic Е, О, А
add(V, INF, "cyrillic", "Vеlоriа 手提包", 520)  # Cyrillic е, о, а
add(V, INF, "greek", "VΕLΟRΙΑ 单肩包", 390)  # Greek Ε, Ο, Ι, Α
add(V, INF, "greek", "vεlοrια 链条包", 360)  # Greek ε, ο, ι, α
# one-letter misspellings and transpositions
add(V, INF, "misspelt", "Velorla 女包 高仿", 300)
add(V, INF, "misspelt", "Veloriia 手提包", 260)
add(V, INF, "misspelt", "Velria 托特包 原单", 400)
add(V, INF, "transposed", "Veolria 女包 新款", 280)
add(V, INF, "transposed", "Vleoria 单肩包", 350)
add(V, INF, "misspelt", "VELORYA 链条包 A货", 420)
# traditional characters
add(V, INF, "traditional", "薇洛瑞亞 女包 高仿 新款", 320)
add(V, INF, "traditional", "薇洛瑞亞手提包 專櫃品質", 880)
# homophone characters
add(V, INF, "homophone", "微洛瑞亚 女包 新款", 300)
add(V, INF, "homophone", "薇洛瑞娅 手提包 真皮", 420)
add(V, INF, "homophone", "薇络瑞亚 链条包", 360)
add(V, INF, "homophone", "威洛瑞亚 托特包 原单", 520)
# pinyin
add(V, INF, "pinyin", "weiluoruiya 女包 高仿", 300)
add(V, INF, "pinyin", "Wei Luo Rui Ya 手提包", 380)
add(V, INF, "pinyin", "WEILUORUIYA 链条包", None, platform="weibo", kind="post")
# mixed
add(V, INF, "mixed", "【现货】VELORIA薇洛瑞亚 女士手提包 专柜级 包邮", 680)
add(V, INF, "mixed", "Veloria/薇洛瑞亚 新款 斜挎包 (原单)", 560)
# the brand's photos under a generic title
add(V, INF, "photo:exact", "新款女士真皮手提包 大容量", 399, photos=["official:veloria/official/bag-1.jpg"])
add(
    V, INF, "photo:resize", "女包 通勤 托特包", 520, photos=["official:veloria/official/bag-2.jpg|resize:480"]
)
add(V, INF, "photo:recompress", "爆款手提包 女", 260, photos=["official:veloria/official/bag-1.jpg|q:30"])
add(V, INF, "photo:watermark", "轻奢女包 单肩", 330, photos=["official:veloria/official/bag-2.jpg|wm"])
add(V, INF, "photo:band", "女士包包 新款", 280, photos=["official:veloria/official/bag-1.jpg|band:0.14"])
add(V, INF, "photo:brighter", "真皮手提包", 450, photos=["official:veloria/official/bag-2.jpg|bright:1.3"])
add(V, INF, "photo:darker", "大牌风 女包", 520, photos=["official:veloria/official/shoe-3.jpg|bright:0.7"])
add(
    V,
    INF,
    "photo:crop",
    "女鞋 平底 新款",
    199,
    photos=["official:veloria/official/shoe-3.jpg|crop:0.1,0.1,0.1,0.1"],
)
add(
    V,
    INF,
    "photo:crop",
    "手提包 女 高级感",
    340,
    photos=["official:veloria/official/bag-1.jpg|crop:0.09,0,0.09,0"],
)
add(V, INF, "photo:crop", "通勤包 女", 380, photos=["official:veloria/official/bag-2.jpg|crop:0,0.1,0,0"])
add(
    V,
    INF,
    "photo:combo",
    "女包 包邮",
    299,
    photos=["official:veloria/official/bag-1.jpg|crop:0.06,0.05,0.04,0.05|band:0.12|resize:640|q:60"],
)
add(
    V,
    INF,
    "photo:combo",
    "单肩包 女",
    None,
    platform="weibo",
    kind="post",
    photos=["official:veloria/official/shoe-3.jpg|wm|bright:1.15|resize:600"],
)
add(
    V,
    INF,
    "photo:full-price",
    "女士手提包 真皮 大容量",
    2600,
    photos=["official:veloria/official/bag-2.jpg|resize:750"],
)
add(V, INF, "logo", "同款logo 女包 定制", 199, photos=["logo:veloria|resize:400"])
add(
    V,
    INF,
    "photo:second-of-many",
    "女包",
    260,
    photos=["other:bag:71", "official:veloria/official/bag-1.jpg|resize:700|q:70"],
)
# sellers
add(
    V,
    INF,
    "expired-seller",
    "薇洛瑞亚 官方授权 女包 新款",
    2980,
    seller_id="tb_778899",
    seller_name="薇洛瑞亚授权店",
)
add(
    V,
    INF,
    "expired-seller",
    "VELORIA 经典手提包 正品",
    3580,
    seller_id="tb_778899",
    seller_name="薇洛瑞亚授权店",
)
add(V, INF, "expired-seller", "真皮女包 专柜同款", 2400, seller_id="tb_778899", seller_name="薇洛瑞亚授权店")
add(
    V,
    INF,
    "fake-official",
    "VELORIA 女包 正品",
    1980,
    platform="tmall",
    seller_id="2209999",
    seller_name="VELORIA官方旗舰店",
)
add(
    V,
    INF,
    "fake-official",
    "薇洛瑞亚 官方正品 新款",
    None,
    platform="weibo",
    kind="post",
    seller_id="7788001",
    seller_name="薇洛瑞亚官方微博",
)

# unrelated: false friends
add(V, UNREL, "false-friend", "velour 丝绒 女包 复古", 129)
add(V, UNREL, "false-friend", "Velour 天鹅绒 手提包 高仿真", 89)
add(V, UNREL, "false-friend", "Valeria 同款 连衣裙", 159)
add(V, UNREL, "false-friend", "VALERIA 女士手表", 399)
add(V, UNREL, "false-friend", "Verona 意大利风 皮鞋", 299)
add(V, UNREL, "false-friend", "verona 维罗纳 旅行 明信片", 12)
add(V, UNREL, "false-friend", "Victoria 女包 新款", 259)
add(V, UNREL, "false-friend", "velvet 丝绒 单肩包", 99)
add(V, UNREL, "false-friend", "Valerie 香水 小样", 39)
add(V, UNREL, "distinctive-char", "薇洛丽亚 护肤品 套装", 199)
add(V, UNREL, "distinctive-char", "薇洛瑞拉 女装 连衣裙", 159)
add(V, UNREL, "distinctive-char", "维洛丽雅 手工皂", 29)
add(V, UNREL, "lifelike", "高仿真绿植 仿真花 客厅摆件", 59)
add(V, UNREL, "lifelike", "高仿真 玫瑰花 婚庆装饰", 35)
add(V, UNREL, "lifelike", "仿真皮 手提包 女 PU", 79)
# unrelated: counterfeit words for something else, no tie to Veloria
add(V, UNREL, "other-fake", "高仿 女包 A货 1:1 原单", 199)
add(V, UNREL, "other-fake", "精仿 大牌 链条包 私聊", None, platform="weibo", kind="post")
add(V, UNREL, "other-fake", "复刻 手表 一比一 加微信", 599)
# unrelated: ordinary goods
add(V, UNREL, "ordinary", "黑芝麻糊 500g 袋装 早餐", 19.9)
add(V, UNREL, "ordinary", "iPhone 15 手机壳 透明 防摔", 15)
add(V, UNREL, "ordinary", "女士真皮手提包 大容量 通勤", 299)
add(V, UNREL, "ordinary", "Coach 女包 正品 代购", 1899)
add(V, UNREL, "ordinary", "I love loria 明信片", 9)
add(V, UNREL, "ordinary", "CORVANE 手表 男士", 7999)
add(V, UNREL, "ordinary", "运动鞋 男 透气 2026新款", 189)
# unrelated: another seller's photo of a look-alike product (must not match the brand's photo)
for line, seed, title, price in [
    (0, 1, "酒红色 真皮手提包 女", 360),
    (0, 2, "复古手提包 金扣", 280),
    (1, 3, "黑色 托特包 大容量", 420),
    (1, 4, "通勤包 黑", 199),
    (2, 5, "米白 平底鞋 女", 159),
    (2, 6, "单鞋 女 百搭", 129),
    (0, 7, "女包 高仿 A货", 199),
    (1, 8, "手提包 原单", 260),
]:
    add(V, UNREL, "lookalike-photo", title, price, photos=[f"lookalike:veloria:{line}:{seed}"])
add(V, UNREL, "other-photo", "手提包 女 新款", 199, photos=["other:bag:11"])
add(V, UNREL, "other-photo", "女鞋 新款", 99, photos=["other:shoe:12|crop:0.1,0,0,0"])
# authorised sellers
add(
    V,
    AUTH,
    "authorised",
    "VELORIA 薇洛瑞亚 经典手提包 官方正品",
    4200,
    platform="tmall",
    seller_id="2200011",
    seller_name="veloria官方旗舰店",
    photos=["official:veloria/official/bag-1.jpg"],
)
add(
    V,
    AUTH,
    "authorised",
    "VELORIA 双11 限时折扣 托特包",
    1280,
    platform="tmall",
    seller_id="2200011",
    seller_name="veloria官方旗舰店",
)
add(
    V,
    AUTH,
    "authorised",
    "VELORIA 女士钱包 京东自营",
    1890,
    platform="jd",
    seller_id="1000088",
    seller_name="Veloria京东自营旗舰店",
)
add(
    V,
    AUTH,
    "authorised",
    "薇洛瑞亚 秋冬新品 鞋履 上新",
    None,
    platform="weibo",
    kind="post",
    seller_id="5566778899",
    seller_name="VELORIA薇洛瑞亚官方微博",
    photos=["official:veloria/official/shoe-3.jpg|resize:600"],
)
add(
    V,
    AUTH,
    "authorised-before-expiry",
    "薇洛瑞亚 手提包 授权经销",
    2800,
    seller_id="tb_778899",
    seller_name="薇洛瑞亚授权店",
    seen_at="2025-05-01T08:00:00Z",
)
# grey market
add(V, GREY, "grey", "VELORIA 女包 意大利代购 正品", 3200)
add(V, GREY, "grey", "薇洛瑞亚 海外直邮 手提包", 2900)
add(V, GREY, "grey", "Veloria 二手 九成新 手提包", 1600)

# ---------------------------------------------------------------------------------------------------
# Corvane (watches, floor ¥8000)
# ---------------------------------------------------------------------------------------------------
C = "corvane"
add(C, INF, "exact+lexicon", "CORVANE 男士机械表 高仿 瑞士", 1200)
add(C, INF, "exact+lexicon", "Corvane 腕表 精仿 一比一", 2600)
add(C, INF, "exact+lexicon", "科尔梵 手表 复刻 原厂机芯", 1800)
add(C, INF, "exact+lexicon", "科尔梵 男表 A货 原单", 899)
add(C, INF, "exact+lexicon", "CORVANE 1:1 自动机械表 超A", 3200)
add(C, INF, "exact+lexicon", "柯尔梵 女表 代工厂 贴牌", 1500)
add(C, INF, "exact+price", "CORVANE 经典款 男士手表", 680)
add(C, INF, "exact+price", "科尔梵 石英表 女", 399)
add(C, INF, "contact", "CORVANE 新款到 加微信 V信看图", None, platform="weibo", kind="post")
add(C, INF, "contact", "科尔梵 手表 私聊 VX 拿货", None, platform="weibo", kind="post")
add(C, INF, "fullwidth", "ＣＯＲＶＡＮＥ 机械表", 1500)
add(C, INF, "spaced", "C O R V A N E 男表", 1200)
add(C, INF, "spaced", "C.O.R.V.A.N.E 腕表 复刻", 2100)
add(C, INF, "spaced", "C-O-R-V-A-N-E 手表", 980)
add(C, INF, "spaced", "科*尔*梵 男士手表", 1300)
add(C, INF, "spaced", "科 尔 梵 机械表 原单", None, platform="weibo", kind="post")
add(C, INF, "digits", "C0RVANE 手表 男", 890)
add(C, INF, "digits", "CORV4NE 机械表 高仿", 1500)
add(C, INF, "cyrillic", "СОRVАNЕ 男表", 1200)  # Cyrillic С, О, А, Е
add(C, INF, "greek", "CΟRVΑΝΕ 腕表", 1600)  # Greek Ο, Α, Ν, Ε
add(C, INF, "misspelt", "Corvanne 男士手表", 1100)
add(C, INF, "misspelt", "Carvane 机械表 复刻", 1900)
add(C, INF, "transposed", "Corvnae 腕表", 800)
add(C, INF, "transposed", "Crovane 女表", 650)
add(C, INF, "traditional", "科爾梵 腕錶 高仿", 1500)
add(C, INF, "homophone", "科尔凡 男士机械表", 1300)
add(C, INF, "homophone", "柯尔凡 手表 原单", 1100)
add(C, INF, "homophone", "科儿梵 女表", 700)
add(C, INF, "pinyin", "keerfan 男表 高仿", 900)
add(C, INF, "pinyin", "Ke Er Fan 机械表", 1400)
add(C, INF, "variant", "柯尔梵 男士腕表 新款", 2200)
add(C, INF, "mixed", "【顶级版本】CORVANE科尔梵 自动机械 男表", 3800)
add(C, INF, "photo:exact", "男士机械表 蓝盘 钢带", 1200, photos=["official:corvane/official/watch-1.jpg"])
add(C, INF, "photo:resize", "商务男表 防水", 899, photos=["official:corvane/official/watch-2.jpg|resize:520"])
add(C, INF, "photo:recompress", "手表 男 机械", 1500, photos=["official:corvane/official/watch-1.jpg|q:35"])
add(C, INF, "photo:watermark", "腕表 男士 新款", 999, photos=["official:corvane/official/watch-2.jpg|wm"])
add(C, INF, "photo:band", "香水 男士 持久", 199, photos=["official:corvane/official/bottle-3.jpg|band:0.16"])
add(C, INF, "photo:brighter", "男表 夜光", 1100, photos=["official:corvane/official/watch-1.jpg|bright:1.25"])
add(C, INF, "photo:darker", "机械表 镂空", 1600, photos=["official:corvane/official/watch-2.jpg|bright:0.65"])
add(
    C,
    INF,
    "photo:crop",
    "男士手表 钢带",
    1300,
    photos=["official:corvane/official/watch-1.jpg|crop:0.1,0,0,0.1"],
)
add(
    C,
    INF,
    "photo:crop",
    "香水 礼盒",
    299,
    photos=["official:corvane/official/bottle-3.jpg|crop:0.08,0.08,0.08,0.08"],
)
add(
    C,
    INF,
    "photo:combo",
    "手表 男 包邮",
    799,
    photos=["official:corvane/official/watch-2.jpg|crop:0,0.05,0.1,0|wm|resize:560|q:55"],
)
add(C, INF, "logo", "男士手表 定制logo", 599, photos=["logo:corvane|resize:300"])
add(
    C,
    INF,
    "fake-official",
    "CORVANE 男表 官方正品",
    9800,
    platform="tmall",
    seller_id="2208888",
    seller_name="corvane官方旗舰店",
)
add(
    C,
    INF,
    "fake-official",
    "科尔梵 腕表 自营",
    12000,
    platform="jd",
    seller_id="1009999",
    seller_name="科尔梵官方旗舰店",
)
add(C, UNREL, "false-friend", "Corvette 车模 1:18 合金", 299)
add(C, UNREL, "false-friend", "cordovan 马臀皮 皮带", 899)
add(C, UNREL, "false-friend", "科尔沁 牛肉干 内蒙古特产", 59)
add(C, UNREL, "false-friend", "科尔沁草原 旅游 门票", 120)
add(C, UNREL, "false-friend", "caravan 房车 模型", 199)
add(C, UNREL, "false-friend", "Corvina 鱼 冷冻", 89)
add(C, UNREL, "distinctive-char", "科尔达 手表 电子表", 99)
add(C, UNREL, "distinctive-char", "科尔维 运动手环", 159)
add(C, UNREL, "lifelike", "高仿真 手表模型 道具", 39)
add(C, UNREL, "other-fake", "高仿 手表 一比一 机械 加微信", 899)
add(C, UNREL, "other-fake", "复刻 名表 A货 私聊", None, platform="weibo", kind="post")
add(C, UNREL, "ordinary", "卡西欧 电子表 学生", 299)
add(C, UNREL, "ordinary", "男士机械表 自动 防水 钢带", 699)
add(C, UNREL, "ordinary", "VELORIA 女包", 3200)
add(C, UNREL, "ordinary", "智能手表 运动 心率", 199)
add(C, UNREL, "ordinary", "科学实验 套装 儿童", 88)
for line, seed, title, price in [
    (0, 1, "蓝盘 男士手表 钢带", 899),
    (0, 2, "机械表 男 蓝色", 1200),
    (1, 3, "金色 女表 皮带", 499),
    (1, 4, "复古 腕表", 650),
    (2, 5, "香水 绿瓶 男士", 129),
    (2, 6, "古龙水 持久", 99),
    (0, 7, "手表 高仿 一比一", 800),
    (1, 8, "复刻 腕表 原单", 1200),
]:
    add(C, UNREL, "lookalike-photo", title, price, photos=[f"lookalike:corvane:{line}:{seed}"])
add(C, UNREL, "other-photo", "手表 男士", 299, photos=["other:watch:21"])
add(C, UNREL, "other-photo", "香水 女士", 159, photos=["other:bottle:22|resize:500"])
add(
    C,
    AUTH,
    "authorised",
    "CORVANE 科尔梵 经典系列 男士机械表",
    16800,
    platform="tmall",
    seller_id="2200077",
    seller_name="corvane官方旗舰店",
    photos=["official:corvane/official/watch-1.jpg"],
)
add(
    C,
    AUTH,
    "authorised",
    "科尔梵 女士腕表 618 特惠",
    7200,
    platform="jd",
    seller_id="1000099",
    seller_name="科尔梵京东官方旗舰店",
)
add(
    C,
    AUTH,
    "authorised",
    "CORVANE 香氛 礼盒",
    1200,
    platform="tmall",
    seller_id="2200077",
    seller_name="corvane官方旗舰店",
    photos=["official:corvane/official/bottle-3.jpg|resize:700"],
)
add(C, GREY, "grey", "CORVANE 男表 瑞士代购 正品", 15800)
add(C, GREY, "grey", "科尔梵 手表 海外直邮 全新", 12600)


def write(path: Path = OUT) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    write()
    print(f"{len(rows)} rows → {OUT}")
