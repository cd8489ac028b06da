"""The words of the demo county: its streets, communities, roads, lanes, courtyards and
shops, and the people who answer for them (Chinese names as common in Shandong, unique
mobile numbers). Pure data and one seeded generator, no database: demo.territory draws
from them.
"""

from __future__ import annotations

import random

STREETS = ["郑山街道", "临沭街道"]
COMMUNITIES = [
    "郑山社区",
    "西湖社区",
    "沭西社区",
    "常林社区",
    "兴隆社区",
    "苍源社区",
    "凤凰社区",
    "金沙社区",
    "城东社区",
    "滨河社区",
    "沭河社区",
    "振兴社区",
    "光明社区",
    "朝阳社区",
    "和平社区",
    "文化社区",
    "府前社区",
]
# East–west roads from north to south, north–south roads from west to east.
ROADS_EAST_WEST = [
    "北环路",
    "沭新路",
    "金沙湖路",
    "振兴路",
    "中山路",
    "府前路",
    "光明路",
    "正阳路",
    "智圣路",
    "育才路",
    "南环路",
    "工业路",
]
ROADS_NORTH_SOUTH = [
    "西环大街",
    "常林大街",
    "兴大大街",
    "人民大街",
    "沭河大街",
    "滨河大街",
    "东环大街",
    "经开大街",
]
LANE_WORDS = [
    "兴业",
    "文化",
    "育英",
    "福寿",
    "槐树",
    "东关",
    "西关",
    "南关",
    "北关",
    "杏花",
    "桃园",
    "柳荫",
    "书院",
    "仓前",
    "县前",
    "鼓楼",
    "学堂",
    "马市",
    "粮市",
    "盐店",
    "铁匠",
    "染坊",
    "太平",
    "永安",
    "吉祥",
    "如意",
    "长寿",
    "平安",
    "和顺",
    "仁和",
    "德胜",
    "三元",
    "五福",
    "七星",
    "石板",
    "青石",
    "竹园",
    "梨园",
    "枣林",
    "榆树",
    "井台",
    "龙泉",
    "凤鸣",
    "花园",
    "同心",
    "康乐",
    "新民",
    "庆丰",
]
LANE_SUFFIXES = ["巷", "巷", "胡同", "里"]
COURTYARDS = [
    "粮食局",
    "供销社",
    "供电所",
    "棉纺厂",
    "农机站",
    "实验小学",
    "县医院",
    "第一中学",
    "卫生院",
    "邮政局",
    "水利局",
    "电影院",
    "食品站",
    "酒厂",
    "化肥厂",
    "汽车站",
    "税务所",
    "交通局",
    "建筑公司",
    "物资局",
]
COURTYARD_SUFFIXES = ["家属院", "宿舍", "家属院", "小区"]

SHOP_BRANDS = [
    "华联超市",
    "银座超市",
    "九州通大药房",
    "漱玉平民大药房",
    "中国移动营业厅",
    "中国联通营业厅",
    "农村商业银行",
    "新华书店",
    "沭河快捷酒店",
    "蜜雪冰城",
    "好当家便利店",
    "海澜之家",
]
SHOP_FOODS = ["烧烤店", "炒鸡店", "糁馆", "煎饼铺", "水饺馆", "羊肉汤馆", "包子铺", "面馆", "拉面馆", "小吃部"]
SHOP_WORDS = [
    "鑫源",
    "宏达",
    "佳美",
    "金鑫",
    "惠民",
    "好又多",
    "阳光",
    "红星",
    "顺发",
    "福源",
    "万家",
    "兴旺",
    "永盛",
    "美佳",
    "恒通",
    "利民",
    "鸿运",
    "金顺",
    "百姓",
    "诚信",
    "天天",
    "盛世",
    "欣欣",
    "老字号",
    "沭河",
    "临沭",
    "东方",
    "华美",
    "新星",
    "金秋",
]
SHOP_TRADES = [
    "五金店",
    "理发店",
    "便利店",
    "水果店",
    "手机店",
    "家电",
    "建材",
    "药房",
    "饭店",
    "服装店",
    "蛋糕店",
    "干洗店",
    "粮油店",
    "文具店",
    "眼镜店",
    "母婴店",
    "茶叶店",
    "汽修店",
    "电动车行",
    "花店",
]

# Shandong's commonest surnames first, roughly by frequency.
SURNAMES = (
    "王王王王王张张张张张李李李李刘刘刘刘陈陈杨杨孙孙徐徐高高赵赵马马于于"
    "朱胡郭何林吴周黄宋郑梁韩唐冯董程曹袁邓许沈彭吕苏卢蒋蔡贾丁魏薛叶阎"
    "潘杜戴夏田任姜范方石姚谭邹孔毛邵孟颜葛庞滕尹段侯鲁"
)
GIVEN_FIRST = "建志国秀玉海晓春红文德永立新金宝子思佳雨梓浩欣俊家明兆庆"
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳峰亮成文志海东兵学振永金"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲英萍红梅琳雪婷倩颖慧莉兰燕凤洁佳怡晶悦欣"
# Mobile prefixes of China Mobile, Unicom and Telecom.
PHONE_PREFIXES = [str(n) for n in (*range(130, 140), *range(150, 160), *range(180, 190)) if n != 154]
CN_DIGITS = "零一二三四五六七八九"


class People:
    """Chinese names and unique mobile numbers, drawn from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phones: set[str] = set()

    def name(self) -> str:
        rng = self.rng
        pool = GIVEN_MALE if rng.random() < 0.55 else GIVEN_FEMALE
        if rng.random() < 0.3:
            given = rng.choice(pool)
        elif rng.random() < 0.6:
            given = rng.choice(GIVEN_FIRST) + rng.choice(pool)
        else:
            given = rng.choice(pool) + rng.choice(pool)
        return rng.choice(SURNAMES) + given

    def phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def chief(self) -> tuple[str, str]:
        return self.name(), self.phone()


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (up to 99)."""
    tens, ones = divmod(n, 10)
    text = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return text + (CN_DIGITS[ones] if ones or not text else "")
