"""Writes ``labelled_text.jsonl``: a second labelled set, for the text signals of issue 13, on two brands
of other goods than the shipped examples — Orchida (cosmetics, class 3) and Strida (sports shoes and
gear, classes 25 and 28), both fictional (``tests/matching/brands/``).

Run ``python -m tests.matching.make_labelled_text`` after changing it; ``tests/test_match_labelled_text.py``
fails when the file and this script disagree, below recall 0.90 or above 5 % false positives, and when
a category lacks either side. Each row: ``brand`` (slug), ``label`` (``infringement`` must be a suspect;
``unrelated`` and ``authorised`` must not), ``category`` (the issue's section) and ``trick`` (what the
row exercises), ``listing``.

Titles are written the way Taobao, Tmall, JD and Weibo listings read (../shared/docs/domain.md): the
category words, the grade words, 【】 tags, emoji, shop names with 旗舰店. The must-not-flag rows are the
near misses an engine that over-generalises would flag: the brand's nickname with nothing tying it to
the brand, another company one homophone away selling pumps, a guide to spotting fakes, a fan account.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("labelled_text.jsonl")
BRANDS_DIR = Path(__file__).with_name("brands")

rows: list[dict[str, Any]] = []
INF, UNREL, AUTH = "infringement", "unrelated", "authorised"


def add(
    brand: str,
    label: str,
    category: str,
    trick: str,
    title: str,
    price: float | None = None,
    *,
    platform: str = "taobao",
    seller_id: str | None = None,
    seller_name: str | None = None,
    kind: str = "product",
    text: str | None = None,
) -> None:
    n = len(rows) + 1
    listing: dict[str, Any] = {
        "platform": platform,
        "item_id": f"T{n:04d}",
        "url": f"https://example.invalid/{platform}/t{n}",
        "title": title,
        "price": price,
        "currency": "CNY",
        "seller_id": seller_id or f"u{n:04d}",
        "seller_name": seller_name or f"小店{n:04d}",
        "kind": kind,
        "seen_at": "2026-11-20T03:00:00Z",
    }
    if text is not None:
        listing["text"] = text
    rows.append({"brand": brand, "label": label, "category": category, "trick": trick, "listing": listing})


def post(brand: str, label: str, category: str, trick: str, title: str, **kw: Any) -> None:
    add(brand, label, category, trick, title, None, platform="weibo", kind="post", **kw)


# ====================================================================================================
# Orchida — cosmetics (class 3), floor ¥380; product lines 兰萃精华, Midnight Orchid, 紫光瓶
# ====================================================================================================
OR = "orchida"
# --- the plain mark, for the base rate ---------------------------------------------------------------
add(OR, INF, "base", "exact+lexicon", "ORCHIDA欧琪达 兰萃精华液 50ml 高仿 专柜品质", 128)
add(OR, INF, "base", "exact+price", "欧琪达 紫光瓶面霜 正品 新款", 99)
add(OR, UNREL, "base", "other-brand", "兰蔻小黑瓶精华 专柜正品 100ml", 1080)
add(OR, UNREL, "base", "generic", "玻尿酸补水精华液 保湿 学生党", 59)
add(
    OR,
    AUTH,
    "base",
    "authorised",
    "ORCHIDA欧琪达兰萃精华 30ml 官方正品",
    89,
    platform="tmall",
    seller_id="3300011",
    seller_name="orchida欧琪达官方旗舰店",
)
# --- Unicode tricks ----------------------------------------------------------------------------------
add(OR, INF, "unicode", "invisible", "OR\u200bCHI\u200dDA 精华液 原单 尾货", 139)
add(OR, INF, "unicode", "invisible", "欧\u200b琪\ufeff达 面霜 1:1", 118)
add(OR, INF, "unicode", "symbols", "O🌸R🌸C🌸H🌸I🌸D🌸A 精华 大牌同款", 89)
add(OR, INF, "unicode", "symbols", "欧✨琪✨达 紫光瓶 面霜 超A", 79)
add(OR, INF, "unicode", "symbols", "O★R★C★H★I★D★A 口红 正品", 49)
add(OR, INF, "unicode", "fancy", "ᴏʀᴄʜɪᴅᴀ 精华液 复刻", 158)
add(OR, INF, "unicode", "fancy", "🅾🆁🅲🅷🅸🅳🅰 面霜 原厂", 120)
add(OR, INF, "unicode", "fancy", "𝐎𝐑𝐂𝐇𝐈𝐃𝐀 香水 50ml", 69)
add(OR, INF, "unicode", "fancy", "ⓞⓡⓒⓗⓘⓓⓐ 粉底液 尾单", 88)
add(OR, INF, "unicode", "mixed-script", "ΟRCΗIDΑ 兰萃精华 精仿", 99)  # Greek Ο, Η, Α
add(OR, INF, "unicode", "mixed-script", "ОRСHIDА 面霜 专柜级", 168)  # Cyrillic О, С, А
add(OR, INF, "unicode", "mixed-script", "ORCHIDΛ 口红 原单", 59)  # Greek Λ for A
add(OR, UNREL, "unicode", "fancy-other-word", "ᴍᴏɪꜱᴛᴜʀɪᴢᴇʀ 面霜 保湿 补水", 69)
add(OR, UNREL, "unicode", "emoji-title", "🌸春日限定🌸 樱花身体乳 ✨香香✨", 39)
add(OR, UNREL, "unicode", "fancy-false-friend", "ᴏʀᴄʜɪᴅ 兰花香薰蜡烛", 45)
# --- split and glued ---------------------------------------------------------------------------------
add(OR, INF, "split", "glued", "orchida精华液 高仿 正品质量", 129)
add(OR, INF, "split", "glued", "新款ORCHIDA紫光瓶 A货", 99)
add(OR, INF, "split", "bracketed", "ORCH【精华液】IDA 原单", 129)
add(OR, INF, "split", "bracketed", "欧琪〖面霜〗达 一比一", 99)
add(OR, INF, "split", "bracketed", "ORC「兰萃」HIDA 精华 工厂直发", 89)
add(OR, INF, "split", "across-title", "ORCH 兰萃精华液 IDA 50ml 特价", 79)
add(OR, INF, "split", "across-title", "【现货】ORCHI 面霜 DA 同款 厂货", 99)
add(OR, UNREL, "split", "pieces-not-name", "ORCH 兰花 香氛 IDEA 礼盒", 168)
add(OR, UNREL, "split", "bracket-no-name", "【兰花精华】补水面霜 【包邮】", 69)
# --- nicknames (count only with a tie: product line, category of class 3, photo) -------------------
add(OR, INF, "nickname", "initial+家+category", "O家 精华液 高仿 专柜品质", 99)
add(OR, INF, "nickname", "consonants+家+category", "OR家同款 面霜 平替", 59)
add(OR, INF, "nickname", "first-char+家+product-line", "欧家 兰萃精华 原单", 129)
add(OR, INF, "nickname", "first-chars+家+category", "欧琪家 口红 复刻版", 39)
add(OR, INF, "nickname", "pinyin-initials+category", "OQD 精华 大牌同款 尾单", 69)
add(OR, INF, "nickname", "pinyin-tones+category", "ōu qí 家的面霜 平替 一比一", 79)
add(OR, INF, "nickname", "pinyin-numbers+category", "ou1 qi2 精华液 A货", 99)
add(OR, INF, "nickname", "pinyin-full-tones", "ōu qí dá 兰萃精华 原单", 119)
add(OR, INF, "nickname", "pinyin-full-numbers", "ou1 qi2 da2 面霜 高仿", 89)
add(OR, INF, "nickname", "homophone+traditional", "歐琪達 面霜 原單 尾貨", 99)
add(OR, INF, "nickname", "homophone+traditional", "欧奇達 精華液 高仿", 118)
add(OR, INF, "nickname", "product-line-only", "兰萃精华 50ml 高仿 原厂", 99)
add(OR, INF, "nickname", "product-line-only", "Midnight Orchid 香水 复刻 1:1", 89)
add(OR, UNREL, "nickname", "no-tie", "O家 好物分享 高仿 种草", 29)
add(OR, UNREL, "nickname", "far-goods", "欧家 挖掘机配件 液压泵 厂家直销", 2800)
add(OR, UNREL, "nickname", "far-goods", "欧家 老字号 月饼 礼盒", 128)
add(OR, UNREL, "nickname", "tie-full-price", "O家 精华液 正品 专柜 50ml", 820)
add(OR, UNREL, "nickname", "other-house-nickname", "L家 C家 D家 口红 高仿 批发", 25)
# --- other brands in a list ---------------------------------------------------------------------------
add(OR, INF, "brand-list", "ours-among-others", "兰蔻 雅诗兰黛 ORCHIDA 海蓝之谜 高仿 面霜 批发", 59)
add(OR, INF, "brand-list", "ours-among-others", "迪奥 香奈儿 欧琪达 口红 一比一 工厂", 29)
post(OR, INF, "brand-list", "ours-among-others", "大牌护肤 兰蔻 SK2 欧琪达 资生堂 原单 货源 需要的私聊")
add(OR, UNREL, "brand-list", "others-only", "兰蔻 雅诗兰黛 海蓝之谜 高仿 面霜 批发", 59)
add(OR, UNREL, "brand-list", "others-only", "迪奥 香奈儿 圣罗兰 口红 一比一 工厂", 29)
# --- false friends and other companies ------------------------------------------------------------------
add(OR, UNREL, "false-friend", "longer-word", "Orchidaceae 兰科植物 蝴蝶兰 盆栽", 88)
add(OR, UNREL, "false-friend", "real-word", "Orchid 兰花 香薰精油 10ml", 39)
add(OR, UNREL, "false-friend", "real-word", "orchids 鲜切花 蝴蝶兰 花束", 99)
add(OR, UNREL, "false-friend", "homophone-company", "欧奇达 液压泵 齿轮泵 厂家", 1500)
add(OR, UNREL, "false-friend", "homophone-company", "欧其达机械 轴承 配件", 260)
add(OR, UNREL, "false-friend", "pinyin-company", "OUQIDA 减速机 电机 工业", 3200)
add(OR, INF, "false-friend", "homophone-own-goods", "欧奇达 精华液 高仿 专柜品质", 99)
add(OR, INF, "false-friend", "misspelt-own-goods", "Orchyda 面霜 原单", 119)
# --- intent -------------------------------------------------------------------------------------------------
post(OR, UNREL, "intent", "guide", "欧琪达兰萃精华 真假对比 教你辨别高仿 防骗")
post(OR, UNREL, "intent", "news", "新闻：警方查获一批假冒ORCHIDA化妆品 打假 高仿")
post(OR, UNREL, "intent", "review", "ORCHIDA 紫光瓶 测评 | 和高仿的对比 使用感受")
post(OR, UNREL, "intent", "fan", "欧琪达粉丝 晒单 今天的兰萃精华 爱了")
post(OR, UNREL, "intent", "comparison", "欧琪达 vs 兰蔻 精华 横评 平替推荐")
add(OR, UNREL, "intent", "counter-not-counterfeit", "ORCHIDA欧琪达 专柜 兰萃精华 50ml", 880)
post(OR, INF, "intent", "sells-private", "欧琪达 兰萃精华 高仿 需要的私聊")
post(OR, INF, "intent", "sells-price", "ORCHIDA 紫光瓶 原单 出 ¥199 包邮")
post(OR, INF, "intent", "sells-daigou", "欧琪达 精华 代购 高仿 鉴定无忧")
post(OR, INF, "intent", "sells-contact", "欧琪达 面霜 原单 有需要 加微 orc_2026")
# --- shops and accounts -------------------------------------------------------------------------------------
add(
    OR,
    INF,
    "shop",
    "fake-flagship",
    "兰萃精华液 30ml 补水",
    560,
    platform="tmall",
    seller_id="3309999",
    seller_name="ORCHIDA官方旗舰店",
)
add(OR, INF, "shop", "general-agent", "欧琪达 紫光瓶面霜 50ml", 680, seller_name="欧琪达中国总代理")
add(OR, INF, "shop", "direct-store", "面霜 保湿 50ml", 720, seller_name="欧琪达直营店")
add(
    OR,
    INF,
    "shop",
    "overseas-flagship",
    "精华液 抗初老",
    690,
    platform="tmall",
    seller_id="3300999",
    seller_name="ORCHIDA海外旗舰店",
)
add(OR, INF, "shop", "digit-in-shop", "ORCHIDA 兰萃精华 正品", 690, seller_name="0RCH1DA美妆旗舰店")
add(
    OR,
    INF,
    "account",
    "brand-account",
    "ORCHIDA欧琪达 | 法式植萃护肤 新品资讯 合作私信",
    None,
    platform="weibo",
    kind="account",
    seller_id="7001",
    seller_name="ORCHIDA欧琪达",
)
add(
    OR,
    INF,
    "account",
    "brand-account",
    "欧琪达中国 官方 新品发布 兰萃精华",
    None,
    platform="weibo",
    kind="account",
    seller_id="7002",
    seller_name="欧琪达中国",
)
add(
    OR,
    INF,
    "shop",
    "lapsed-tied",
    "欧琪达 兰萃精华 50ml 正品授权",
    690,
    seller_id="tb_oq_221",
    seller_name="欧琪达美妆授权店",
)
add(
    OR,
    UNREL,
    "shop",
    "lapsed-untied",
    "兰蔻 小黑瓶精华 50ml 正品",
    890,
    seller_id="tb_oq_221",
    seller_name="欧琪达美妆授权店",
)
add(
    OR,
    AUTH,
    "shop",
    "real-flagship",
    "欧琪达 紫光瓶面霜 50ml",
    680,
    platform="tmall",
    seller_id="3300011",
    seller_name="orchida欧琪达官方旗舰店",
)
add(
    OR,
    AUTH,
    "account",
    "real-account",
    "ORCHIDA欧琪达 官方微博 新品资讯",
    None,
    platform="weibo",
    kind="account",
    seller_id="6612345678",
    seller_name="ORCHIDA欧琪达",
)
add(
    OR,
    UNREL,
    "account",
    "fan-account",
    "欧琪达粉丝后援会 | 分享日常 晒单",
    None,
    platform="weibo",
    kind="account",
    seller_id="7003",
    seller_name="欧琪达粉丝后援会",
)
add(
    OR,
    UNREL,
    "shop",
    "reseller-full-price",
    "ORCHIDA 兰萃精华 50ml 专柜正品",
    860,
    seller_name="兰心美妆小铺",
)
# --- contact ids --------------------------------------------------------------------------------------------
add(OR, INF, "contact", "wechat", "ORCHIDA 面霜 高仿 VX: orc_2026", 69)
post(OR, INF, "contact", "qq", "欧琪达 精华 原单 Q: 28830012")
post(OR, INF, "contact", "phone", "欧琪达 兰萃精华 一手货源 电话 138 0013 8000")
add(OR, INF, "contact", "wechat-in-shop", "欧琪达 精华液 原单", 139, seller_name="V信orc_2026 美妆")
add(OR, UNREL, "contact", "wechat-pay", "补水面膜 10片 微信支付 包邮", 39)
add(OR, UNREL, "contact", "contact-no-brand", "兰花 盆栽 加微 flower_88", 35)

# ====================================================================================================
# Strida — sports shoes and gear (classes 25, 28), floor ¥499; product lines AeroFlux, 风刃
# ====================================================================================================
S = "strida"
add(S, INF, "base", "exact+lexicon", "STRIDA斯锐达 AeroFlux 跑鞋 莆田 纯原", 268)
add(S, INF, "base", "exact+price", "斯锐达 风刃 越野跑鞋 男款", 159)
add(S, UNREL, "base", "other-brand", "耐克 Pegasus 41 跑步鞋 男", 699)
add(S, UNREL, "base", "generic", "透气网面运动鞋 男 休闲跑步鞋", 89)
add(
    S,
    AUTH,
    "base",
    "authorised",
    "STRIDA斯锐达 AeroFlux 3 竞速跑鞋",
    1299,
    platform="jd",
    seller_id="1000456",
    seller_name="斯锐达京东自营旗舰店",
)
# --- Unicode tricks ----------------------------------------------------------------------------------
add(S, INF, "unicode", "invisible", "ST\u200cRI\u200bDA 跑鞋 公司级", 299)
add(S, INF, "unicode", "invisible", "斯\u200d锐达 篮球鞋 真标", 259)
add(S, INF, "unicode", "symbols", "S🔥T🔥R🔥I🔥D🔥A 跑鞋 纯原", 279)
add(S, INF, "unicode", "middle-dots", "S·T·R·I·D·A 运动鞋 莆田", 199)
add(S, INF, "unicode", "symbols", "斯💥锐💥达 风刃 越野鞋", 229)
add(S, INF, "unicode", "fancy", "ꜱᴛʀɪᴅᴀ 跑步鞋 pk版", 239)
add(S, INF, "unicode", "fancy", "🆂🆃🆁🅸🅳🅰 篮球鞋 原厂", 329)
add(S, INF, "unicode", "fancy", "𝕊𝕋ℝ𝕀𝔻𝔸 运动裤 原单", 99)
add(S, INF, "unicode", "mixed-script", "STRIDΑ 跑鞋 真标", 299)  # Greek Α
add(S, INF, "unicode", "mixed-script", "ЅТRIDА 卫衣 高仿", 89)  # Cyrillic Ѕ, Т, А
add(S, INF, "unicode", "mixed-script", "STRIDΛ 训练鞋 1:1", 199)  # Greek Λ for A
add(S, UNREL, "unicode", "fancy-other-word", "ʀᴜɴɴɪɴɢ 跑鞋 男 透气", 159)
add(S, UNREL, "unicode", "emoji-title", "🔥爆款🔥 运动袜 5双装 ✨", 19)
# --- split and glued ---------------------------------------------------------------------------------
add(S, INF, "split", "glued", "strida跑鞋 男 莆田纯原", 259)
add(S, INF, "split", "glued", "2026新款STRIDA篮球鞋 公司级", 299)
add(S, INF, "split", "bracketed", "STR【跑鞋】IDA 真标", 259)
add(S, INF, "split", "bracketed", "斯锐〖越野鞋〗达 复刻", 239)
add(S, INF, "split", "across-title", "STRI 竞速跑鞋 DA AeroFlux 同款", 299)
add(S, INF, "split", "across-title", "STR 男款 跑步鞋 IDA 莆田", 199)
add(S, UNREL, "split", "pieces-not-name", "STR 运动 腰包 IDEA 设计", 59)
add(S, UNREL, "split", "bracket-no-name", "【正品】跑步鞋 男 【包邮】", 199)
# --- nicknames -----------------------------------------------------------------------------------------
add(S, INF, "nickname", "initial+家+category", "S家 跑鞋 纯原 公司级", 239)
add(S, INF, "nickname", "consonants+家+category", "ST家 篮球鞋 莆田", 259)
add(S, INF, "nickname", "first-char+家+product-line", "斯家 风刃 越野 复刻", 229)
add(S, INF, "nickname", "pinyin-initials+category", "SRD 跑步鞋 真标 pk版", 219)
add(S, INF, "nickname", "pinyin-numbers+category", "si1 rui4 跑鞋 纯原", 209)
add(S, INF, "nickname", "pinyin-full-tones", "sī ruì dá 篮球鞋 高仿", 229)
add(S, INF, "nickname", "homophone+traditional", "斯銳達 跑鞋 高仿", 199)
add(S, INF, "nickname", "homophone+traditional", "思銳达 运动鞋 原單", 239)
add(S, INF, "nickname", "product-line-only", "AeroFlux 3 竞速跑鞋 莆田 纯原", 299)
add(S, INF, "nickname", "product-line-only", "风刃 越野跑鞋 复刻 真标", 259)
add(S, INF, "nickname", "same-style", "斯家同款 跑鞋 平替", 129)
add(S, UNREL, "nickname", "no-tie", "S家 好物 分享 1:1", 19)
add(S, UNREL, "nickname", "far-goods", "斯家 火锅 底料 麻辣", 39)
add(S, UNREL, "nickname", "far-goods", "S家 蓝牙耳机 高仿", 59)
add(S, UNREL, "nickname", "tie-full-price", "S家 跑鞋 正品 专柜", 899)
add(S, UNREL, "nickname", "far-goods", "SRD 数据线 快充", 19)
# --- other brands in a list ---------------------------------------------------------------------------
add(S, INF, "brand-list", "ours-among-others", "耐克 阿迪 STRIDA 新百伦 莆田 纯原 批发", 159)
post(S, INF, "brand-list", "ours-among-others", "亚瑟士 斯锐达 彪马 跑鞋 公司级 一件代发 私聊")
add(S, UNREL, "brand-list", "others-only", "耐克 阿迪 新百伦 莆田 纯原 批发", 159)
add(S, UNREL, "brand-list", "others-only", "亚瑟士 彪马 跑鞋 公司级 一件代发", 189)
# --- false friends and other companies ------------------------------------------------------------------
add(S, UNREL, "false-friend", "real-word", "Stride 跑步鞋 男 减震", 399)
add(S, UNREL, "false-friend", "real-word", "Easy Stride 学步鞋 宝宝", 89)
add(S, UNREL, "false-friend", "two-letters-off", "Strider 儿童平衡车 滑步车", 599)
add(S, UNREL, "false-friend", "homophone-company", "思锐达 工业相机 500万像素", 2600)
add(S, UNREL, "false-friend", "homophone-company", "斯瑞达 液压泵 齿轮", 980)
add(S, UNREL, "false-friend", "pinyin-company", "Siruida 路由器 千兆", 199)
add(S, UNREL, "false-friend", "longer-word", "Stridarium 科幻小说 书籍", 45)
add(S, INF, "false-friend", "homophone-own-goods", "思锐达 跑鞋 高仿", 199)
add(S, INF, "false-friend", "misspelt-own-goods", "Stirda 篮球鞋 纯原", 259)
# --- intent -------------------------------------------------------------------------------------------------
post(S, UNREL, "intent", "guide", "斯锐达风刃 真假鉴定 教你分辨高仿 避坑")
post(S, UNREL, "intent", "news", "新闻：STRIDA 发布会 推出一款新跑鞋 打假 高仿")
post(S, UNREL, "intent", "review", "STRIDA AeroFlux 3 测评 和高仿 对比")
post(S, UNREL, "intent", "fan", "斯锐达粉丝 晒单 新到的风刃 开箱")
add(S, UNREL, "intent", "counter-not-counterfeit", "STRIDA斯锐达 专柜 AeroFlux 跑鞋", 1299)
post(S, INF, "intent", "sells-private", "斯锐达 风刃 莆田纯原 需要的私聊")
post(S, INF, "intent", "sells-price", "STRIDA AeroFlux 公司级 出 ¥299")
post(S, INF, "intent", "sells-daigou", "斯锐达 跑鞋 代购 高仿 鉴定 包过")
# --- shops and accounts -------------------------------------------------------------------------------------
add(
    S,
    INF,
    "shop",
    "fake-flagship",
    "竞速跑鞋 AeroFlux 3",
    1299,
    platform="tmall",
    seller_id="3300123",
    seller_name="STRIDA官方旗舰店",
)
add(S, INF, "shop", "general-agent", "斯锐达 风刃 越野跑鞋", 999, seller_name="斯锐达中国总代")
add(S, INF, "shop", "direct-store", "跑步鞋 男 减震", 899, seller_name="STRIDA直营店")
add(
    S,
    INF,
    "shop",
    "overseas-flagship",
    "篮球鞋 男 实战",
    1099,
    platform="tmall",
    seller_id="3301234",
    seller_name="斯锐达海外旗舰店",
)
add(S, INF, "shop", "digit-in-shop", "STRIDA 跑鞋 正品", 1099, seller_name="STR1DA运动旗舰店")
add(
    S,
    INF,
    "account",
    "brand-account",
    "STRIDA斯锐达 | 为跑者而生 新品首发",
    None,
    platform="weibo",
    kind="account",
    seller_id="7101",
    seller_name="STRIDA斯锐达",
)
add(
    S,
    INF,
    "shop",
    "lapsed-tied",
    "斯锐达 AeroFlux 跑鞋 正品",
    1199,
    seller_id="tb_sr_808",
    seller_name="斯锐达运动专营",
)
add(
    S,
    UNREL,
    "shop",
    "lapsed-untied",
    "耐克 跑步鞋 男 正品",
    799,
    seller_id="tb_sr_808",
    seller_name="斯锐达运动专营",
)
add(
    S,
    AUTH,
    "shop",
    "real-flagship",
    "斯锐达 风刃 越野跑鞋",
    999,
    platform="tmall",
    seller_id="3300077",
    seller_name="strida斯锐达官方旗舰店",
)
add(
    S,
    UNREL,
    "account",
    "fan-account",
    "STRIDA跑者俱乐部 爱好者 分享 跑步心得",
    None,
    platform="weibo",
    kind="account",
    seller_id="7102",
    seller_name="STRIDA跑者爱好者",
)
add(S, UNREL, "shop", "reseller-full-price", "STRIDA 风刃 越野跑鞋 专柜正品", 999, seller_name="跑者装备小铺")
# --- contact ids --------------------------------------------------------------------------------------------
add(S, INF, "contact", "wechat", "STRIDA 跑鞋 纯原 加微 sr_shoe88", 199)
post(S, INF, "contact", "qq", "斯锐达 风刃 原单 扣扣 771234567")
post(S, INF, "contact", "phone", "斯锐达 莆田 一手货源 13912345678")
add(S, UNREL, "contact", "contact-no-brand", "跑步鞋 男 透气 V: run_2026", 99)


# ====================================================================================================
# Held out: rows written after the engine was finished, scored once and kept as they came out (the
# engine was not changed for them). ``trick`` starts with "held:".
# ====================================================================================================
add(OR, INF, "unicode", "held:fancy-bold-italic", "𝑶𝑹𝑪𝑯𝑰𝑫𝑨 兰萃精华 50ml 原单", 139)
add(OR, INF, "unicode", "held:zwj-chinese", "欧\u200d琪\u200d达 紫光瓶 精华 高仿", 99)
add(OR, INF, "split", "held:bracket-latin", "ORCHI（正品）DA 面霜 一比一", 88)
add(OR, INF, "nickname", "held:consonants+家+line", "OR家 紫光瓶 复刻", 119)
add(OR, INF, "nickname", "held:initials+家+category", "OQ家 粉底液 平替 高仿", 49)
add(OR, UNREL, "nickname", "held:no-tie", "欧家小院 民宿 周末", 288)
add(OR, UNREL, "false-friend", "held:orchid-real-word", "Orchid 兰花 盆栽 绿植", 58)
add(OR, UNREL, "brand-list", "held:others-only", "香奈儿 迪奥 兰蔻 口红 礼盒 正品", 899)
post(OR, UNREL, "intent", "held:news", "报道：欧琪达 推出 兰萃精华 新品 发布会")
post(OR, INF, "intent", "held:sells", "欧琪达 精华 原单 现货 私信 需要的来")
add(OR, INF, "contact", "held:wechat-full-width", "欧琪达 面霜 原单 ＶＸ：ｏｒｃ＿６６", 99)
add(OR, UNREL, "contact", "held:phone-no-brand", "鲜花 速递 电话 13700001111", 99)
add(
    OR, INF, "shop", "held:official-shop-clean-title", "精华液 30ml 补水保湿", 599, seller_name="欧琪达官方店"
)
add(S, INF, "unicode", "held:fullwidth-spaced", "Ｓ Ｔ Ｒ Ｉ Ｄ Ａ 跑鞋 公司级", 259)
add(S, INF, "unicode", "held:cyrillic-lower", "strіdа 跑鞋 纯原", 229)  # Cyrillic і, а
add(S, INF, "split", "held:bracket-chinese", "斯〔跑鞋〕锐达 复刻", 199)
add(S, INF, "nickname", "held:jia+line", "S家 AeroFlux 同款 平替", 159)
add(S, UNREL, "nickname", "held:far", "ST家 火锅 外卖", 68)
add(S, UNREL, "false-friend", "held:stride-shoes", "Stride Rite 童鞋 学步", 299)
add(S, UNREL, "brand-list", "held:others-only", "耐克 阿迪达斯 彪马 运动袜 正品", 39)
post(S, UNREL, "intent", "held:review", "斯锐达风刃 开箱 测评 和耐克 对比")
post(S, INF, "intent", "held:sells-wholesale", "斯锐达 风刃 纯原 批发 一件代发")
add(S, INF, "contact", "held:qq-word", "STRIDA 跑鞋 莆田 QQ号 556677889", 199)
add(S, INF, "shop", "held:agent-shop", "跑步鞋 减震 男款", 899, seller_name="斯锐达总经销")
add(S, UNREL, "shop", "held:reseller", "STRIDA 风刃 越野跑鞋 正品", 1099, seller_name="极速运动")


if __name__ == "__main__":
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{OUT}: {len(rows)} rows")
