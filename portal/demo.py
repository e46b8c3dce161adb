"""Demo data for the fictional city of 清川市, built through the real services.

Areas, users and role assignments are plain rows; needs, resources and projects go through
``resources.services`` so their audit trail is the real one. One seeded ``random.Random``
drives every choice, so two fresh databases get the same data (times are relative to "now",
and tracking numbers are drawn by the service). Only ``seed_demo`` calls this; migrations
never create accounts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.policy import TWO_FACTOR_ROLES
from portal.errors import Conflict
from portal.models import Area, Role, RoleAssignment, User
from reporting.demo import build_reporting_demo, reporting_demo_exists
from resources import services
from resources.models import (
    AvailabilitySlot,
    Channel,
    Match,
    Need,
    NeedCategory,
    Project,
    Resource,
    TargetGroup,
)
from resources.services.matches import accept_match

DEMO_PASSWORD = "baodao-demo"  # noqa: S105 - the demo accounts' published password, printed by seed_demo
SITE_URL = "http://127.0.0.1:8000/"
# The demo accounts that require two-factor authentication (officials, auditor, superuser) share
# this authenticator key. Demo only: it is published here, in the README and by seed_demo.
DEMO_TOTP_KEY = b"baodao-demo-only-2fa".hex()  # noqa: S105 - published demo secret
SEED = 20240615
CITY_CODE, CITY_NAME = "3390", "清川市"
CENTRE = (30.2590, 120.1590)  # only places the city on a map; the city is made up

# district → streets → community short names. Codes follow the statistical scheme:
# city 4 digits, district 6, street 9, community 12, grid = community + "G01".
DISTRICTS = (
    (
        "339001",
        "湖滨区",
        (("柳浪街道", ("翠苑", "春晖", "柳莺")), ("望湖街道", ("湖光", "映月", "东坡"))),
    ),
    (
        "339002",
        "西岭区",
        (("桂山街道", ("桂花", "石泉", "云栖")), ("松涛街道", ("松风", "枫林", "竹园"))),
    ),
)
FIRST_STREET, FIRST_COMMUNITY = "339001001", "339001001001"
FIRST_GRID = FIRST_COMMUNITY + "G01"
GRID_NAMES = ("第一网格", "第二网格", "第三网格")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    area_code: str
    real_name: str
    phone: str
    superuser: bool = False


ACCOUNTS = (
    DemoAccount("worker", Role.COMMUNITY_WORKER, FIRST_COMMUNITY, "王晓燕", "13957100001"),
    DemoAccount("secretary", Role.COMMUNITY_SECRETARY, FIRST_COMMUNITY, "陈建华", "13957100002"),
    DemoAccount("grid", Role.GRID_WORKER, FIRST_GRID, "刘海涛", "13957100003"),
    DemoAccount("street", Role.STREET_OFFICER, FIRST_STREET, "赵敏", "13957100004"),
    DemoAccount("district", Role.DISTRICT_OFFICIAL, "339001", "孙立群", "13957100005"),
    DemoAccount("city", Role.CITY_ADMIN, CITY_CODE, "周文斌", "13957100006"),
    DemoAccount("member", Role.MEMBER, FIRST_COMMUNITY, "李志强", "13957100007"),
    DemoAccount("unit", Role.UNIT_ADMIN, FIRST_COMMUNITY, "吴丽娟", "13957100008"),
    DemoAccount("auditor", Role.AUDITOR, CITY_CODE, "郑国平", "13957100009"),
    DemoAccount("admin", Role.CITY_ADMIN, CITY_CODE, "系统管理员", "13957100010", superuser=True),
)

# The catalogues below are data tables; they are kept one record to a line for reading.
# fmt: off
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁沈姚卢姜钟陆汪范金石方邹孟秦江薛顾毛邵钱严戴孔汤"
GIVEN_NAMES = (
    "建华 国强 秀英 桂英 丽娟 海燕 志明 文杰 晓东 淑珍 玉兰 伟 敏 静 磊 洋 勇 军 杰 娟 涛 明 超 "
    "秀兰 霞 平 刚 桂兰 芳 红梅 建国 卫东 春花 德胜 明辉 雅婷 子涵 浩然 欣怡 梓轩 慧敏 志刚 立新"
).split()
HONORIFICS = ("阿姨", "大爷", "奶奶", "爷爷", "女士", "先生")
PHONE_PREFIXES = "130 131 133 135 136 137 138 139 150 151 152 153 155 158 159 180 181 186 187 188 189".split()

# category code → (name, weight, target groups, ((title, description), ...)). Descriptions may
# use {b} building, {u} unit, {age}.
TG = TargetGroup
_ELDERLY = (TG.ELDERLY_ALONE, TG.ELDERLY_ALONE, TG.DISABLED, TG.VETERANS, TG.GENERAL)
_YOUNG = (TG.CHILDREN, TG.CHILDREN, TG.NEW_RESIDENTS, TG.LOW_INCOME, TG.GENERAL)
_ANYONE = (TG.GENERAL, TG.GENERAL, TG.GENERAL, TG.ELDERLY_ALONE, TG.LOW_INCOME, TG.NEW_RESIDENTS)
NEEDS = {
    "elderly_care": ("老年照料", 14, _ELDERLY, (
        ("独居老人日常探访", "我今年{age}岁，一个人住，子女在外地工作，希望有志愿者每周上门看看、聊聊天。"),
        ("高龄老人上门助浴", "家里老人{age}岁，腿脚不便，洗澡很困难，想申请上门助浴服务。"),
        ("失能老人短期照护", "老伴住院了，家里还有一位失能老人没人照看，需要一周左右的短期照护。"),
        ("老人就医陪诊", "下周三要去区人民医院复查，子女上班走不开，希望有人陪同挂号、取药。"),
    )),
    "child_care": ("儿童托管", 6, _YOUNG, (
        ("儿童暑期托管", "双职工家庭，孩子上三年级，暑假白天没人照看，希望社区开设暑期托管班。"),
        ("放学后四点半课堂", "孩子下午三点半放学，我们六点才下班，希望社区有课后看护和作业辅导。"),
        ("周末亲子活动场地", "小区里没有适合孩子活动的场地，希望周末能借用活动室开展亲子活动。"),
    )),
    "meal_assistance": ("助餐", 10, _ELDERLY, (
        ("独居老人助餐配送", "{age}岁独居，腿脚不便下不了楼，希望长者食堂每天中午送餐上门。"),
        ("长者食堂增加早餐", "长者食堂只供应午餐，很多老人早上不方便做饭，建议增加早餐供应。"),
        ("糖尿病老人定制餐", "家里老人有糖尿病，长者食堂的饭菜偏甜偏咸，希望提供低糖餐。"),
        ("助餐补贴申请咨询", "听说八十岁以上老人吃饭有补贴，想了解怎么申请、需要什么材料。"),
    )),
    "health": ("医疗健康", 9, _ELDERLY, (
        ("上门测量血压血糖", "{b}幢{u}单元老人行动不便，希望医生定期上门测血压血糖。"),
        ("家庭医生签约", "想给家里两位老人签约家庭医生，不知道去哪里办理。"),
        ("中风后康复指导", "父亲中风出院后需要做康复训练，希望有康复师上门指导。"),
        ("心理健康咨询", "老伴去世后母亲情绪一直很低落，希望有专业人员上门疏导。"),
    )),
    "culture_sports": ("文化体育", 5, _ANYONE, (
        ("广场舞场地协调", "晚上跳广场舞的场地离住宅楼太近，希望社区帮忙协调时间和场地。"),
        ("老年书法班报名", "想参加社区的书法班，请问什么时候开班，还有没有名额。"),
        ("篮球场照明维修", "小区篮球场的照明灯坏了一个多月，晚上没法打球，希望尽快维修。"),
        ("健身器材损坏", "{b}幢旁边的健身器材有一个扶手断了，老人锻炼容易受伤。"),
    )),
    "housekeeping": ("家政", 6, _ANYONE, (
        ("老人家中水管漏水", "{b}幢{u}单元独居老人家里厨房水管漏水，自己不会修。"),
        ("换季大扫除帮手", "家里只有两位老人，换季大扫除干不动，希望有志愿者帮忙。"),
        ("家电上门维修", "洗衣机不转了，老人不会联系维修，希望社区帮忙找人上门看看。"),
        ("更换灯泡和门锁", "卫生间灯泡和入户门锁坏了，老人爬不了高，需要帮忙更换。"),
    )),
    "sanitation": ("环境卫生", 10, _ANYONE, (
        ("楼道堆物清理", "{b}幢{u}单元楼道里堆放纸箱和旧家具多年，影响通行，也有消防隐患。"),
        ("垃圾桶满溢无人清运", "小区北门垃圾桶连续两天满溢，气味很大，希望增加清运次数。"),
        ("化粪池堵塞外溢", "{b}幢楼下化粪池堵塞外溢，污水流到路面上，请尽快处理。"),
        ("绿化带积水蚊虫多", "{b}幢旁边绿化带长期积水，夏天蚊虫特别多。"),
    )),
    "parking_traffic": ("停车交通", 8, _ANYONE, (
        ("小区停车位紧张", "晚上下班回来基本找不到车位，很多车停在消防通道上，希望协调错峰停车。"),
        ("消防通道被占用", "{b}幢前的消防通道经常被私家车占用，万一着火消防车进不来。"),
        ("电动车乱停放", "单元门口电动车乱停，轮椅和婴儿车都推不过去。"),
        ("路口缺少斑马线", "小区出口到菜场的路口没有斑马线，老人过马路很危险。"),
    )),
    "safety": ("治安安全", 7, _ANYONE, (
        ("楼道声控灯损坏", "{b}幢{u}单元三到五楼声控灯坏了，晚上上下楼看不清。"),
        ("电动车楼道充电", "有住户把电动车推进楼道充电，存在火灾隐患，希望社区管一管。"),
        ("小区门禁损坏", "东门门禁坏了一周，外来人员随意进出，居民担心安全。"),
        ("夜间陌生人徘徊", "最近几晚有陌生人在{b}幢附近徘徊，希望加强巡逻。"),
    )),
    "neighbour_disputes": ("邻里纠纷", 6, _ANYONE, (
        ("楼上噪音扰民", "楼上住户经常深夜拖动家具、跺脚，沟通几次无果，希望社区调解。"),
        ("空调外机滴水纠纷", "楼上空调外机一直往我家阳台滴水，双方沟通不了。"),
        ("公共区域被占用", "邻居在楼道公共区域装了铁门占为己用，其他住户意见很大。"),
        ("宠物扰民", "邻居家的狗每天早上叫个不停，还在楼道里随地便溺。"),
    )),
    "accessibility": ("无障碍", 5, (TG.DISABLED, TG.DISABLED, TG.ELDERLY_ALONE, TG.GENERAL), (
        ("单元门口加装坡道", "家里老人坐轮椅，单元门口有三级台阶，进出非常不方便，希望加装坡道。"),
        ("楼道加装扶手", "{b}幢楼梯没有扶手，老人上下楼很吃力，希望加装。"),
        ("加装电梯政策咨询", "我们单元想加装电梯，想了解补贴政策和申请流程。"),
        ("盲道被占用", "小区门口的盲道被共享单车和摊位占用，视障居民出行困难。"),
    )),
    "employment": ("就业", 4, (TG.LOW_INCOME, TG.DISABLED, TG.NEW_RESIDENTS, TG.VETERANS, TG.GENERAL), (
        ("失业人员就业推荐", "今年失业了，四十多岁，希望社区推荐一些附近的工作岗位。"),
        ("残疾人就业帮扶", "孩子有轻度残疾，想找一份力所能及的工作，希望得到帮助。"),
        ("家政技能培训报名", "想学习家政和育婴技能，请问社区有没有免费培训。"),
        ("退役军人就业咨询", "刚退役回来，想了解退役军人就业扶持政策。"),
    )),
    "legal_aid": ("法律援助", 5, _ANYONE, (
        ("遗产继承法律咨询", "父亲去世后兄弟姐妹对房产继承有分歧，想咨询律师。"),
        ("劳动工资拖欠", "在工地干了三个月，老板一直拖欠工资，不知道怎么维权。"),
        ("房屋租赁合同纠纷", "房东提前收回房子还不退押金，想请律师看看合同。"),
        ("赡养费纠纷咨询", "子女不支付赡养费，老人想了解法律途径。"),
    )),
    "education": ("教育", 5, _YOUNG, (
        ("初中数学课业辅导", "孩子初二，数学跟不上，家里请不起家教，希望有志愿者辅导。"),
        ("老年人智能手机培训", "不会用手机挂号和扫码，希望社区开设智能手机使用课。"),
        ("新市民子女入学咨询", "我们是外地来的，孩子明年上小学，想了解积分入学政策。"),
        ("家庭教育讲座", "孩子进入青春期后沟通困难，希望社区组织家庭教育讲座。"),
    )),
}

REJECT_REASONS = (
    "经核实属于物业服务合同约定事项，已转交物业公司处理并告知居民。",
    "属于市政道路管理事项，已引导居民拨打12345热线反映。",
    "居民来电表示已自行解决，确认后关闭。",
    "信息不全，三次电话联系均未接通，已短信告知可重新提交。",
    "涉及私人债务纠纷，不属于社区受理范围，已告知可申请法律援助。",
)
RESOLUTIONS = (
    "已联系共建单位上门处理，居民确认问题已解决。",
    "网格员现场核实后协调物业完成整改，已拍照留档。",
    "已安排党员志愿者提供服务，纳入每月定期回访。",
    "经社区调解，双方达成一致意见并签订调解协议。",
    "已对接资源清单中的服务单位，服务已完成。",
)
FEEDBACK = (
    "非常满意，感谢社区！5星",
    "满意，4星，希望以后响应再快一点。",
    "很满意，网格员很热心，5星",
    "基本满意，3星，处理时间偏长。",
    "满意，4星",
)

# name, kind, tier, provider type, provider (may use {district} {street} {community} {person}),
# categories, capacity (low, high), availability, value (low, high) or None, description.
K, T, P, S = Resource.Kind, Resource.Tier, Resource.ProviderType, AvailabilitySlot
RESOURCES = (
    ("家庭医生签约服务", K.SERVICE, T.PROFESSIONAL, P.UNIT, "{district}人民医院",
     ("health", "elderly_care"), (10, 30), (S.WEEKDAY_MORNING,), None,
     "每周二上午在社区卫生服务站坐诊，提供血压血糖测量、慢病随访和家庭医生签约。"),
    ("社区义诊", K.SERVICE, T.PROFESSIONAL, P.DEPARTMENT, "{street}社区卫生服务中心",
     ("health",), (20, 50), (S.WEEKEND_MORNING,), None, "每月一次义诊，含中医推拿、眼科筛查。"),
    ("操场周末开放", K.VENUE, T.BASE, P.UNIT, "清川市第二中学", ("culture_sports", "child_care"),
     (100, 200), (S.WEEKEND_MORNING, S.WEEKEND_AFTERNOON), None, "周末向居民开放操场和篮球场。"),
    ("四点半课堂教室", K.VENUE, T.BASE, P.UNIT, "{street}小学", ("child_care", "education"),
     (30, 40), (S.WEEKDAY_AFTERNOON,), None, "放学后提供教室和值班教师，开展课后看护。"),
    ("安全用电上门检查", K.SERVICE, T.PROFESSIONAL, P.UNIT, "国网清川供电公司{street}供电所",
     ("safety", "elderly_care"), (5, 15), (S.WEEKDAY_MORNING, S.WEEKDAY_AFTERNOON), None,
     "为老旧小区和独居老人家庭免费检查线路、更换老化插座。"),
    ("防范电信诈骗宣讲", K.SERVICE, T.PROFESSIONAL, P.UNIT, "工商银行{street}支行",
     ("safety", "legal_aid"), (30, 80), (S.WEEKDAY_AFTERNOON,), None, "反诈宣讲进楼道，讲解常见骗局。"),
    ("银行网点助老服务点", K.VENUE, T.BASE, P.UNIT, "农业银行{street}支行", ("elderly_care",),
     (10, 20), (S.WEEKDAY_MORNING, S.WEEKDAY_AFTERNOON), None, "大堂设爱心座椅、老花镜和饮水。"),
    ("楼道保洁与垃圾清运", K.SERVICE, T.BASE, P.UNIT, "{community}物业服务有限公司",
     ("sanitation", "housekeeping"), (3, 8), (S.WEEKDAY_MORNING,), None, "安排保洁队集中清理楼道堆物。"),
    ("夜间错峰停车位", K.VENUE, T.BASE, P.UNIT, "{street}商务大厦", ("parking_traffic",), (30, 80),
     (S.WEEKDAY_EVENING, S.WEEKEND_EVENING), None, "晚七点至早八点向周边居民开放地下车位。"),
    ("免费法律咨询", K.SKILL, T.PROFESSIONAL, P.UNIT, "清川明德律师事务所",
     ("legal_aid", "neighbour_disputes"), (5, 10), (S.WEEKEND_MORNING,), None, "律师每月两次坐班。"),
    ("老娘舅邻里调解队", K.VOLUNTEER_TEAM, T.CHARACTERISTIC, P.GROUP, "{community}老娘舅调解队",
     ("neighbour_disputes",), (3, 6), (S.WEEKDAY_AFTERNOON, S.WEEKEND_AFTERNOON), None,
     "由退休干部和热心居民组成，调解邻里矛盾。"),
    ("银发平安巡逻队", K.VOLUNTEER_TEAM, T.CHARACTERISTIC, P.GROUP, "{community}银发巡逻队",
     ("safety",), (8, 20), (S.WEEKDAY_EVENING,), None, "每晚七点到九点在小区巡逻。"),
    ("夕阳红合唱团", K.VOLUNTEER_TEAM, T.CHARACTERISTIC, P.GROUP, "{community}夕阳红合唱团",
     ("culture_sports", "elderly_care"), (20, 40), (S.WEEKDAY_MORNING,), None, "每周两次排练，欢迎加入。"),
    ("太极拳晨练指导", K.SKILL, T.CHARACTERISTIC, P.GROUP, "{community}太极拳队",
     ("culture_sports", "health"), (20, 50), (S.WEEKDAY_MORNING, S.WEEKEND_MORNING), None,
     "每天早上在中心广场教学。"),
    ("退休教师作业辅导", K.SKILL, T.BASE, P.MEMBER, "{person}（退休教师）", ("education", "child_care"),
     (3, 6), (S.WEEKDAY_AFTERNOON, S.WEEKEND_MORNING), None, "在职党员报到认领，辅导中小学数学语文。"),
    ("党员医生健康咨询", K.SKILL, T.BASE, P.MEMBER, "{person}（主治医师）", ("health",), (5, 10),
     (S.WEEKEND_MORNING,), None, "周末在党群服务中心提供健康咨询。"),
    ("党员律师公益咨询", K.SKILL, T.BASE, P.MEMBER, "{person}（律师）", ("legal_aid",), (2, 5),
     (S.WEEKDAY_EVENING,), None, "晚间电话或面谈法律咨询。"),
    ("水电维修志愿服务", K.SKILL, T.BASE, P.MEMBER, "{person}（电工）",
     ("housekeeping", "elderly_care", "safety"), (2, 4), (S.WEEKEND_MORNING, S.WEEKEND_AFTERNOON),
     None, "为老人和困难家庭免费上门维修水电。"),
    ("爱心米面油", K.DONATION, T.BASE, P.UNIT, "{street}联华超市", ("meal_assistance", "elderly_care"),
     (20, 50), (), (3000, 8000), "每季度捐赠米面油，用于困难家庭和独居老人。"),
    ("长者食堂助餐配送", K.SERVICE, T.BASE, P.UNIT, "{street}长者食堂", ("meal_assistance", "elderly_care"),
     (20, 40), (S.WEEKDAY_MORNING,), None, "午餐送餐上门，八十岁以上老人享受补贴。"),
    ("社区公益微基金", K.FUNDS, T.BASE, P.COMMUNITY, "{community}社区居民委员会",
     ("elderly_care", "sanitation", "culture_sports"), (1, 1), (), (20000, 50000),
     "用于居民提出的微项目，由联席会议审议。"),
    ("企业共建专项资金", K.FUNDS, T.BASE, P.UNIT, "清川远航科技有限公司", ("accessibility", "child_care"),
     (1, 1), (), (30000, 80000), "共建协议约定的年度专项资金。"),
    ("轮椅助行器借用", K.EQUIPMENT, T.BASE, P.COMMUNITY, "{community}社区党群服务中心",
     ("accessibility", "elderly_care"), (4, 8), (S.WEEKDAY_MORNING, S.WEEKDAY_AFTERNOON), None,
     "轮椅、助行器、拐杖免费借用。"),
    ("共享工具箱", K.EQUIPMENT, T.CHARACTERISTIC, P.GROUP, "{community}邻里互助会", ("housekeeping",),
     (2, 4), (S.WEEKEND_MORNING, S.WEEKEND_AFTERNOON), None, "电钻、梯子、扳手等工具登记借用。"),
    ("多功能活动室", K.VENUE, T.BASE, P.COMMUNITY, "{community}社区党群服务中心",
     ("culture_sports", "education", "child_care"), (30, 60),
     (S.WEEKDAY_AFTERNOON, S.WEEKDAY_EVENING, S.WEEKEND_MORNING), None, "可预约开展讲座和活动。"),
    ("就业岗位推荐", K.SERVICE, T.PROFESSIONAL, P.DEPARTMENT, "{district}人力资源和社会保障局",
     ("employment",), (20, 50), (S.WEEKDAY_MORNING,), None, "每月发布岗位信息，提供一对一推荐。"),
    ("家政技能培训", K.SERVICE, T.PROFESSIONAL, P.UNIT, "清川巾帼家政服务中心",
     ("housekeeping", "employment"), (15, 30), (S.WEEKDAY_AFTERNOON,), None, "育婴、保洁、养老护理培训。"),
    ("心理疏导与社工服务", K.SERVICE, T.PROFESSIONAL, P.UNIT, "阳光社会工作服务中心",
     ("health", "neighbour_disputes"), (5, 10), (S.WEEKDAY_AFTERNOON,), None, "持证社工提供个案服务。"),
    ("无障碍设施施工", K.SERVICE, T.PROFESSIONAL, P.UNIT, "清川市政建设集团", ("accessibility",),
     (1, 3), (S.WEEKDAY_MORNING, S.WEEKDAY_AFTERNOON), None, "坡道、扶手等无障碍设施施工。"),
    ("交通文明劝导", K.VOLUNTEER_TEAM, T.BASE, P.UNIT, "{district}交警大队", ("parking_traffic", "safety"),
     (5, 10), (S.WEEKDAY_MORNING, S.WEEKDAY_EVENING), None, "上下学高峰路口劝导和停车秩序整治。"),
)

# title, categories, description, tasks, milestones, budget ((item, yuan), ...)
PROJECTS = (
    ("楼道堆物清理与消防通道整治", ("sanitation", "safety"), "清理楼道堆物，施划消防通道标线，建立长效巡查。",
     ("入户宣传告知", "集中清理堆物", "消防通道标线施划", "建立长效巡查机制"), ("宣传动员完成", "集中清理完成"),
     (("清运车辆租赁", 3200), ("标线材料", 1800), ("宣传物料", 600))),
    ("独居老人助餐配送点建设", ("meal_assistance", "elderly_care"), "依托长者食堂为独居老人送餐上门。",
     ("摸排独居老人需求", "对接长者食堂", "招募送餐志愿者", "试运行配送"), ("需求摸排完成", "配送点开放"),
     (("保温餐箱", 2400), ("送餐补贴", 12000), ("志愿者保险", 900))),
    ("暑期四点半课堂", ("child_care", "education"), "联合学校和在职党员开设暑期托管与课业辅导。",
     ("招募辅导志愿者", "布置教室", "开班授课"), ("报名结束", "结业汇报"),
     (("教材与文具", 2000), ("志愿者餐补", 3600))),
    ("小区停车秩序整治与错峰共享停车", ("parking_traffic",), "协调周边单位夜间开放车位，整治消防通道占用。",
     ("车位需求登记", "签订错峰停车协议", "施划车位标线"), ("协议签订", "共享车位启用"),
     (("标线与指示牌", 4500), ("道闸改造", 8000))),
    ("单元楼无障碍坡道改造", ("accessibility",), "为有轮椅使用者的单元加装坡道和扶手。",
     ("现场勘察", "方案公示", "施工", "验收"), ("方案公示完成", "施工完成"),
     (("坡道施工", 18000), ("扶手安装", 6000))),
    ("老娘舅邻里调解室建设", ("neighbour_disputes", "legal_aid"), "建设调解室，律师和老娘舅定期坐班。",
     ("调解室装修", "调解员培训", "挂牌运行"), ("调解室挂牌",),
     (("桌椅与设备", 5000), ("调解员培训", 2000))),
    ("老旧小区智能门禁升级", ("safety",), "更换损坏门禁，加装人脸识别和监控。",
     ("设备采购", "安装调试", "居民信息登记"), ("设备到货", "系统上线"),
     (("门禁设备", 36000), ("监控摄像头", 12000), ("安装人工", 6000))),
    ("垃圾分类定时定点督导", ("sanitation",), "党员志愿者在投放点值守督导。",
     ("排班表制定", "志愿者培训", "值守督导"), ("督导满月",), (("督导马甲与工具", 1500), ("宣传海报", 800))),
    ("健康义诊进社区", ("health", "elderly_care"), "联合区人民医院开展季度义诊和慢病管理。",
     ("预约登记", "义诊开展", "建立健康档案"), ("首场义诊",), (("体检耗材", 3000), ("宣传物料", 500))),
    ("法律明白人培训", ("legal_aid",), "培训楼道长成为法律明白人。",
     ("课程设计", "集中授课", "考核结业"), ("结业",), (("讲师课酬", 4000), ("教材印刷", 1200))),
    ("家政技能培训与就业对接", ("employment", "housekeeping"), "为低收入家庭成员提供家政技能培训并推荐就业。",
     ("学员招募", "技能培训", "岗位对接"), ("培训结业", "首批上岗"), (("培训费用", 15000), ("考证补贴", 6000))),
    ("社区邻里文体节", ("culture_sports",), "一个月的文体节：合唱、太极、亲子运动会。",
     ("节目征集", "场地布置", "活动开展"), ("开幕式", "闭幕式"), (("场地布置", 5000), ("奖品", 3000))),
    ("高龄老人居家适老化改造", ("elderly_care", "accessibility"), "为高龄老人家庭加装扶手、防滑地面和夜灯。",
     ("入户评估", "改造施工", "回访"), ("评估完成", "改造完成"), (("改造材料", 20000), ("施工人工", 8000))),
    ("新市民融入同心家园计划", ("education", "culture_sports"), "帮助新市民了解社区、子女入学和社会保障。",
     ("新市民登记", "政策宣讲", "结对帮扶"), ("宣讲完成",), (("宣传手册", 1800), ("活动经费", 3000))),
    ("老年人防诈骗宣传月", ("safety", "legal_aid"), "联合银行和派出所开展防诈骗宣传。",
     ("编写宣传材料", "楼道宣讲", "案例展览"), ("宣传月启动",), (("宣传折页", 900), ("展板", 1600))),
    ("儿童友好游乐空间改造", ("child_care", "culture_sports"), "改造闲置空地为儿童游乐空间。",
     ("方案征集", "设施采购", "安装施工"), ("方案确定", "开放使用"), (("游乐设施", 26000), ("地面铺装", 9000))),
    ("电动自行车集中充电棚建设", ("safety", "parking_traffic"), "建设集中充电棚，杜绝楼道充电。",
     ("选址公示", "充电桩安装", "消防验收"), ("充电棚启用",), (("充电桩", 22000), ("雨棚", 9000))),
    ("困难家庭结对帮扶", ("employment", "elderly_care"), "在职党员与困难家庭一对一结对。",
     ("困难家庭摸底", "党员结对", "季度走访"), ("结对完成",), (("慰问物资", 6000),)),
    ("社区口袋公园微更新", ("sanitation", "culture_sports"), "改造小区边角地为口袋公园。",
     ("居民议事", "设计施工", "绿化养护移交"), ("开工", "竣工"), (("绿化苗木", 12000), ("座椅步道", 15000))),
    ("失能老人喘息服务", ("elderly_care", "health"), "为长期照护失能老人的家属提供短期替代照护。",
     ("服务对象评估", "护理员排班", "服务开展"), ("首批服务",), (("护理服务购买", 24000),)),
)
CANCEL_REASON = "共建单位资金未能落实，经联席会议决定暂缓实施。"

NEED_PLAN = (
    ["overdue"] * 16 + ["due_soon"] * 10 + ["submitted"] * 22 + ["accepted"] * 30 + ["matched"] * 24
    + ["in_progress"] * 40 + ["resolved"] * 45 + ["evaluated"] * 78 + ["rejected"] * 20
)
MERGED_NEEDS = 15
MAX_AGE_DAYS = {"accepted": 10, "matched": 20, "in_progress": 40}
# (state of the project, RAG profile of its current task) in creation order; the first six
# belong to the demo accounts' community.
PROJECT_PLAN = (
    ("in_progress", "red"), ("in_progress", "amber"), ("in_progress", "green"), ("draft", ""),
    ("approved", ""), ("completed", ""),
    ("in_progress", "red"), ("in_progress", "amber"), ("in_progress", "green"), ("evaluated", ""),
    ("draft", ""), ("in_progress", "red"), ("approved", ""), ("in_progress", "amber"),
    ("cancelled", ""), ("in_progress", "green"), ("completed", ""), ("draft", ""),
    ("approved", ""), ("evaluated", ""),
)
# fmt: on


@dataclass
class DemoResult:
    created: bool
    accounts: list[tuple[DemoAccount, Area | None]]
    counts: dict[str, int] = field(default_factory=dict)


def demo_exists() -> bool:
    return Area.objects.filter(code=CITY_CODE).exists()


def seed_demo(*, now: datetime | None = None) -> DemoResult:
    """Build the demo city once; on later runs only make sure the demo accounts still work.

    A city seeded before reporting (报到) landed gets the reporting part on the next run.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if demo_exists():
            accounts = ensure_accounts(_areas_by_code())
            if reporting_demo_exists():
                return DemoResult(created=False, accounts=accounts)
            counts = build_reporting_demo(now=now, city=Area.objects.get(code=CITY_CODE))
            return DemoResult(created=True, accounts=accounts, counts=counts)
        builder = _Builder(now)
        builder.build()
        counts = builder.counts() | build_reporting_demo(now=now, city=builder.city)
        return DemoResult(created=True, accounts=builder.accounts, counts=counts)


def _areas_by_code() -> dict[str, Area]:
    return Area.objects.in_bulk([a.area_code for a in ACCOUNTS], field_name="code")


def ensure_accounts(areas: dict[str, Area]) -> list[tuple[DemoAccount, Area | None]]:
    """Create the demo accounts if missing, reset their password if it changed, keep their role."""
    shared_hash: str | None = None
    verified: dict[str, bool] = {}  # one hash check per distinct stored hash, not per account
    result = []
    for account in ACCOUNTS:
        user = User.objects.filter(username=account.username).first()
        dirty = user is None
        if user is None:
            phone_free = not User.objects.filter(phone=account.phone).exists()
            user = User(
                username=account.username,
                real_name=account.real_name,
                phone=account.phone if phone_free else None,
            )
        if user.password not in verified:
            verified[user.password] = bool(user.password) and check_password(
                DEMO_PASSWORD, user.password
            )
        if not verified[user.password]:
            # What set_password does, hashed once for all demo accounts (hashing is slow on purpose).
            shared_hash = shared_hash or make_password(DEMO_PASSWORD)
            user.password = shared_hash
            verified[shared_hash] = dirty = True
        if account.superuser and not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True
            dirty = True
        if not user.is_active:
            user.is_active = dirty = True
        if dirty:
            user.save()
        area = areas.get(account.area_code)
        if area is not None:
            RoleAssignment.objects.get_or_create(user=user, role=account.role, area=area)
        if account.superuser or account.role in TWO_FACTOR_ROLES:
            TOTPDevice.objects.get_or_create(
                user=user,
                confirmed=True,
                defaults={"name": "demo", "key": DEMO_TOTP_KEY},
            )
        result.append((account, area))
    return result


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


class _Builder:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.today = timezone.localdate(now)
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not a secret
        self.phones: set[str] = set()
        self.communities: list[Area] = []
        self.grids: dict[int, list[Area]] = {}
        self.street_of: dict[int, Area] = {}
        self.district_of: dict[int, Area] = {}
        self.staff: dict[tuple[int, str], User] = {}  # (area id, role) → user
        self.categories: dict[str, NeedCategory] = {}
        self.needs: list[Need] = []
        self.resources: list[tuple[Resource, set[str]]] = []
        self.projects: list[Project] = []
        self.accounts: list[tuple[DemoAccount, Area | None]] = []

    # -- people and places ------------------------------------------------------------
    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)

    def requester(self) -> str:
        if self.rng.random() < 0.5:
            return self.rng.choice(SURNAMES) + self.rng.choice(HONORIFICS)
        return self.name()

    def phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def build(self) -> None:
        self.build_areas()
        self.accounts = ensure_accounts(_areas_by_code())
        self.build_staff()
        self.categories = self.build_categories()
        self.build_resources()
        self.build_needs()
        self.build_projects()

    def counts(self) -> dict[str, int]:
        return {
            "communities": len(self.communities),
            "needs": len(self.needs),
            "resources": len(self.resources),
            "projects": len(self.projects),
        }

    def build_areas(self) -> None:
        city = self.city = Area.objects.create(
            code=CITY_CODE,
            name=CITY_NAME,
            level=Area.Level.CITY,
            latitude=_deg(CENTRE[0]),
            longitude=_deg(CENTRE[1]),
        )
        for district_code, district_name, streets in DISTRICTS:
            district = Area.objects.create(
                code=district_code, name=district_name, level=Area.Level.DISTRICT, parent=city
            )
            for s, (street_name, communities) in enumerate(streets, start=1):
                street = Area.objects.create(
                    code=f"{district_code}{s:03d}",
                    name=street_name,
                    level=Area.Level.STREET,
                    parent=district,
                )
                for c, short in enumerate(communities, start=1):
                    community = Area.objects.create(
                        code=f"{street.code}{c:03d}",
                        name=f"{short}社区",
                        level=Area.Level.COMMUNITY,
                        parent=street,
                        latitude=_deg(CENTRE[0] + self.rng.uniform(-0.05, 0.05)),
                        longitude=_deg(CENTRE[1] + self.rng.uniform(-0.06, 0.06)),
                    )
                    self.communities.append(community)
                    self.street_of[community.pk] = street
                    self.district_of[community.pk] = district
                    count = 2 if len(self.communities) % 3 == 0 else 3
                    self.grids[community.pk] = [
                        Area.objects.create(
                            code=f"{community.code}G{g:02d}",
                            name=f"{short}{GRID_NAMES[g - 1]}",
                            level=Area.Level.GRID,
                            parent=community,
                        )
                        for g in range(1, count + 1)
                    ]

    def build_staff(self) -> None:
        """Workers for every area the demo accounts do not cover; they cannot sign in."""
        demo = {
            account.username: User.objects.get(username=account.username) for account in ACCOUNTS
        }
        first = self.communities[0]
        self.staff[(first.pk, Role.COMMUNITY_WORKER)] = demo["worker"]
        self.staff[(first.pk, Role.COMMUNITY_SECRETARY)] = demo["secretary"]
        self.staff[(self.grids[first.pk][0].pk, Role.GRID_WORKER)] = demo["grid"]
        self.staff[(self.street_of[first.pk].pk, Role.STREET_OFFICER)] = demo["street"]
        wanted = [
            (street, Role.STREET_OFFICER) for street in dict.fromkeys(self.street_of.values())
        ]
        for community in self.communities:
            wanted += [(community, Role.COMMUNITY_WORKER), (community, Role.COMMUNITY_SECRETARY)]
            wanted += [(grid, Role.GRID_WORKER) for grid in self.grids[community.pk]]
        prefix = {
            Role.STREET_OFFICER: "street",
            Role.COMMUNITY_WORKER: "worker",
            Role.COMMUNITY_SECRETARY: "secretary",
            Role.GRID_WORKER: "grid",
        }
        for n, (area, role) in enumerate(wanted, start=1):
            if (area.pk, role) in self.staff:
                continue
            user = User(
                username=f"{prefix[role]}-{area.code}",
                real_name=self.name(),
                phone=f"1770571{n:04d}",
            )
            user.set_unusable_password()
            user.save()
            RoleAssignment.objects.create(user=user, role=role, area=area)
            self.staff[(area.pk, role)] = user

    def build_categories(self) -> dict[str, NeedCategory]:
        # The data migration seeds these; a database flushed by tests may have lost them.
        result = {}
        for position, (code, (name, *_rest)) in enumerate(NEEDS.items(), start=1):
            result[code], _created = NeedCategory.objects.get_or_create(
                code=code, defaults={"name": name, "sort_order": position * 10}
            )
        return result

    def worker(self, community: Area) -> User:
        role = Role.COMMUNITY_SECRETARY if self.rng.random() < 0.2 else Role.COMMUNITY_WORKER
        return self.staff[(community.pk, role)]

    # -- the resource list ------------------------------------------------------------
    def build_resources(self) -> None:
        for index, community in enumerate(self.communities):
            street = self.street_of[community.pk].name.removesuffix("街道")
            district = self.district_of[community.pk].name
            for template in self.rng.sample(RESOURCES, 14 if index == 0 else 6):
                (
                    name,
                    kind,
                    tier,
                    provider_type,
                    provider,
                    codes,
                    capacity,
                    slots,
                    value,
                    description,
                ) = template
                provider_name = provider.format(
                    district=district,
                    street=street,
                    community=community.name.removesuffix("社区"),
                    person=self.name(),
                )
                area = community
                if self.rng.random() < 0.15:
                    area = self.rng.choice(self.grids[community.pk])
                status = self.rng.choices(list(Resource.Status), weights=(85, 8, 5, 2))[0]
                resource = services.create_resource(
                    by=self.staff[(community.pk, Role.COMMUNITY_WORKER)],
                    categories=[self.categories[code] for code in codes],
                    name=name,
                    description=description,
                    provider_type=provider_type,
                    provider_name=provider_name,
                    kind=kind,
                    tier=tier,
                    capacity=self.rng.randint(*capacity),
                    availability=list(slots),
                    area=area,
                    contact_name=self.name(),
                    contact_phone=self.phone(),
                    value_amount=Decimal(self.rng.randrange(value[0], value[1] + 1, 500))
                    if value
                    else None,
                    valid_until=date(self.today.year, 12, 31) if value else None,
                    status=status,
                )
                self.resources.append((resource, set(codes)))

    # -- the needs list ---------------------------------------------------------------
    def build_needs(self) -> None:
        plan = list(NEED_PLAN)
        self.rng.shuffle(plan)
        weights = [3] + [1] * (len(self.communities) - 1)
        codes = list(NEEDS)
        category_weights = [NEEDS[code][1] for code in codes]
        for state in plan:
            community = self.rng.choices(self.communities, weights=weights)[0]
            code = self.rng.choices(codes, weights=category_weights)[0]
            steps = self.steps_for(state)
            total = sum((gap for _action, gap in steps), timedelta())
            submitted_at = self.submitted_at(state, total)
            need = self.submit(community, code, submitted_at)
            when = submitted_at
            for action, gap in steps:
                when += gap
                need = self.move(need, action, when, late=gap > timedelta(hours=24))
            self.needs.append(need)
        for _ in range(MERGED_NEEDS):
            self.merge_duplicate()

    def steps_for(self, state: str) -> list[tuple[str, timedelta]]:
        if state in ("overdue", "due_soon", "submitted"):
            return []
        if state == "rejected":
            if self.rng.random() < 0.6:
                return [("reject", self.hours(1, 20))]
            return [("accept", self.response()), ("reject", self.hours(2, 48))]
        chain = ["accept", "match", "start", "resolve", "evaluate"]
        upto = {"accepted": 1, "matched": 2, "in_progress": 3, "resolved": 4, "evaluated": 5}[state]
        actions = chain[:upto]
        if "match" in actions and state != "matched" and self.rng.random() < 0.3:
            actions.remove("match")  # simple needs go straight from accepted to work
        gaps = {"match": (4, 72), "start": (2, 48), "resolve": (24, 240), "evaluate": (12, 120)}
        return [
            (action, self.response() if action == "accept" else self.hours(*gaps[action]))
            for action in actions
        ]

    def response(self) -> timedelta:
        """Time to accept: mostly inside the 24-hour clock, sometimes late."""
        roll = self.rng.random()
        if roll < 0.85:
            return self.hours(0.5, 20)
        return self.hours(20, 23.5) if roll < 0.93 else self.hours(25, 48)

    def submitted_at(self, state: str, total: timedelta) -> datetime:
        if state == "overdue":
            return self.now - self.hours(25, 120)
        if state == "due_soon":
            return self.now - self.hours(18.5, 23.5)
        if state == "submitted":
            return self.now - self.hours(0.2, 17)
        max_age = timedelta(days=MAX_AGE_DAYS.get(state, 60))
        slack_hours = max(1.0, (max_age - total).total_seconds() / 3600)
        return self.now - total - self.hours(0.5, slack_hours)

    def submit(
        self,
        community: Area,
        code: str,
        submitted_at: datetime,
        title: str = "",
        description: str = "",
    ) -> Need:
        _name, _weight, groups, texts = NEEDS[code]
        sample_title, sample_description = self.rng.choice(texts)
        channel = self.rng.choices(list(Channel), weights=(35, 20, 20, 10, 15))[0]
        grid = None
        if channel == Channel.VISIT or self.rng.random() < 0.8:
            grid = self.rng.choice(self.grids[community.pk])
        if channel == Channel.ONLINE:
            by = None
        elif channel == Channel.VISIT:
            by = self.staff[(grid.pk, Role.GRID_WORKER)]
        else:
            by = self.staff[(community.pk, Role.COMMUNITY_WORKER)]
        building, unit = self.rng.randint(1, 32), self.rng.randint(1, 4)
        fill = {"b": building, "u": unit, "age": self.rng.randint(72, 93)}
        room = f"{self.rng.randint(1, 6)}0{self.rng.randint(1, 4)}"
        return services.submit_need(
            community=community,
            grid=grid,
            category=self.categories[code],
            title=title or sample_title,
            description=description or sample_description.format(**fill),
            requester_name=self.requester(),
            requester_phone=self.phone(),
            channel=channel,
            target_group=self.rng.choice(groups),
            urgency=self.rng.choices((1, 2, 3, 4), weights=(20, 50, 22, 8))[0],
            address=f"{community.name.removesuffix('社区')}小区{building}幢{unit}单元{room}室",
            availability=self.rng.sample(list(AvailabilitySlot.values), self.rng.randint(1, 3))
            if self.rng.random() < 0.4
            else [],
            by=by,
            now=submitted_at,
        )

    def move(self, need: Need, action: str, when: datetime, *, late: bool = False) -> Need:
        community = self.communities_by_id()[need.community_id]
        by = self.worker(community)
        if action == "accept" and late:
            by = self.staff[(self.street_of[community.pk].pk, Role.STREET_OFFICER)]  # escalated
        if action == "match":
            matched = self.match_with_resource(need, by, when)
            if matched is not None:
                return matched
        reason = {"reject": REJECT_REASONS, "resolve": RESOLUTIONS, "evaluate": FEEDBACK}.get(
            action
        )
        return services.transition_need(
            need=need,
            action=action,
            by=by,
            now=when,
            reason=self.rng.choice(reason) if reason else "",
            rating=self.rng.choices((5, 4, 3, 2), weights=(62, 25, 9, 4))[0]
            if action == "evaluate"
            else None,
        )

    def match_with_resource(self, need: Need, by: User, when: datetime) -> Need | None:
        """Match the need with a fitting resource of its community, as a worker accepting the
        engine's proposal would; None when no resource fits (the need is marked matched)."""
        code = self.category_code(need)
        fitting = [
            resource
            for resource, codes in self.resources
            if code in codes
            and resource.status == Resource.Status.AVAILABLE
            and (
                resource.area_id == need.community_id
                or resource.area.parent_id == need.community_id
            )
        ]
        self.rng.shuffle(fitting)
        for resource in fitting:
            proposal = Match.objects.create(
                need=need,
                resource=resource,
                score=self.rng.randint(550, 950),
                reasons=[
                    ["same_community", {}],
                    ["category_fit", {"category_id": need.category_id, "exact": True}],
                ],
                proposed_at=when - timedelta(hours=2),
            )
            try:
                accept_match(match=proposal, by=by, now=when)
            except Conflict:
                proposal.delete()
                continue
            return Need.objects.get(pk=need.pk)
        return None

    def category_code(self, need: Need) -> str:
        return next(code for code, c in self.categories.items() if c.pk == need.category_id)

    def communities_by_id(self) -> dict[int, Area]:
        if not hasattr(self, "_communities_by_id"):
            self._communities_by_id = {c.pk: c for c in self.communities}
        return self._communities_by_id

    def merge_duplicate(self) -> None:
        """A second report of a problem already in the list, merged into the first."""
        latest = self.now - timedelta(hours=4)
        targets = [
            n
            for n in self.needs
            if n.status not in (Need.Status.REJECTED, Need.Status.MERGED)
            and n.submitted_at < latest
        ]
        target = self.rng.choice(targets)
        room = (latest - target.submitted_at).total_seconds() / 3600
        submitted_at = target.submitted_at + self.hours(1, min(72.0, room))
        duplicate = self.submit(
            self.communities_by_id()[target.community_id],
            self.category_code(target),
            submitted_at,
            title=target.title,
            description=f"{target.description}（另一位居民反映同一问题）",
        )
        merged = services.transition_need(
            need=duplicate,
            action="merge",
            merge_into=target,
            by=self.staff[(target.community_id, Role.COMMUNITY_WORKER)],
            reason=f"与{target.tracking_number}为同一问题，合并处理。",
            now=min(submitted_at + self.hours(0.3, 12), self.now - timedelta(minutes=5)),
        )
        self.needs.append(merged)

    # -- the project list -------------------------------------------------------------
    def build_projects(self) -> None:
        others = self.communities[1:]
        for index, (template, (state, profile)) in enumerate(
            zip(PROJECTS, PROJECT_PLAN, strict=True)
        ):
            community = self.communities[0] if index < 6 else others[(index - 6) % len(others)]
            self.projects.append(self.build_project(community, template, state, profile))

    def project_dates(self, state: str) -> tuple[date, date]:
        rng, today = self.rng, self.today
        if state in ("draft", "approved", "cancelled"):
            start = today + timedelta(days=rng.randint(3, 30))
            return start, start + timedelta(days=rng.randint(45, 120))
        if state == "in_progress":
            return (
                today - timedelta(days=rng.randint(25, 50)),
                today + timedelta(days=rng.randint(30, 90)),
            )
        return (
            today - timedelta(days=rng.randint(70, 100)),
            today - timedelta(days=rng.randint(8, 20)),
        )

    def task_schedule(self, titles, start: date, end: date, state: str, profile: str):
        """(title, start, due, progress) per task; in-progress projects get the RAG asked for."""
        rng, today = self.rng, self.today
        if state != "in_progress":
            span = (end - start).days + 1
            step = span // len(titles)
            done = 100 if state in ("completed", "evaluated") else 0
            return [
                (
                    title,
                    start + timedelta(days=i * step),
                    end if i == len(titles) - 1 else start + timedelta(days=(i + 1) * step - 1),
                    done,
                )
                for i, title in enumerate(titles)
            ]
        first_due = today - timedelta(days=rng.randint(12, 20))
        schedule = [(titles[0], start, first_due, 100)]
        if profile == "red":
            current = (
                titles[1],
                first_due + timedelta(days=1),
                today - timedelta(days=rng.randint(2, 6)),
                rng.randint(40, 80),
            )
        else:
            current_start = today - timedelta(days=rng.randint(8, 11))
            due = today + timedelta(days=rng.randint(10, 20))
            planned = ((today - current_start).days + 1) * 100 // ((due - current_start).days + 1)
            progress = (
                min(95, planned + rng.randint(5, 15))
                if profile == "green"
                else max(0, planned - rng.randint(25, 30))
            )
            current = (titles[1], current_start, due, progress)
        schedule.append(current)
        rest = titles[2:]
        later = max(current[2], today) + timedelta(days=1)
        for i, title in enumerate(rest):
            due = end if i == len(rest) - 1 else later + timedelta(days=14)
            schedule.append((title, later, max(due, later), 0))
            later = max(due, later) + timedelta(days=1)
        return schedule

    def build_project(self, community: Area, template, state: str, profile: str) -> Project:
        title, codes, description, task_titles, milestone_titles, budget = template
        worker = self.staff[(community.pk, Role.COMMUNITY_WORKER)]
        secretary = self.staff[(community.pk, Role.COMMUNITY_SECRETARY)]
        start, end = self.project_dates(state)
        wanted = set(codes)
        wanted_ids = {self.categories[code].pk for code in codes}
        needs = [
            n
            for n in self.needs
            if n.community_id == community.pk
            and n.category_id in wanted_ids
            and n.status
            in (
                Need.Status.MATCHED,
                Need.Status.IN_PROGRESS,
                Need.Status.RESOLVED,
                Need.Status.EVALUATED,
            )
        ][:2]
        resources = [
            r
            for r, r_codes in self.resources
            if r.area.path.startswith(community.path) and r_codes & wanted
        ][:2]
        project = services.create_project(
            by=worker,
            needs=needs,
            resources=resources,
            title=title,
            description=description,
            area=community,
            owner=self.rng.choice((worker, secretary)),
            maintenance_owner=resources[0].provider_name
            if resources
            else f"{community.name}居民委员会",
            planned_start=start,
            planned_end=end,
            contingency_rate=Decimal(self.rng.choice(("0.10", "0.12", "0.15"))),
        )
        tasks = []
        for task_title, task_start, due, progress in self.task_schedule(
            task_titles, start, end, state, profile
        ):
            owner = self.rng.choice((worker, None))
            task = services.add_task(
                project=project,
                by=worker,
                title=task_title,
                start_date=task_start,
                due_date=due,
                owner=owner,
                owner_name="" if owner else self.name(),
            )
            tasks.append((task, progress))
        milestones = []
        for i, milestone_title in enumerate(milestone_titles, start=1):
            due = start + (end - start) * i // len(milestone_titles)
            milestones.append(
                services.add_milestone(
                    project=project, by=worker, title=milestone_title, due_date=due
                )
            )
        share = {"in_progress": (0.2, 0.7), "completed": (0.85, 1.0), "evaluated": (0.85, 1.0)}
        for item, amount in budget:
            low, high = share.get(state, (0, 0))
            spent = Decimal(int(amount * self.rng.uniform(low, high)))
            services.add_budget_line(
                project=project, by=worker, item=item, amount=Decimal(amount), spent=spent
            )
        if state == "cancelled":
            return services.transition_project(
                project=project,
                action="cancel",
                by=secretary,
                reason=CANCEL_REASON,
                now=self.now - timedelta(days=2),
            )
        if state == "draft":
            return project
        approved = min(_at(start - timedelta(days=5)), self.now - timedelta(days=1))
        project = services.transition_project(
            project=project, action="approve", by=secretary, now=approved
        )
        if state == "approved":
            return project
        project = services.transition_project(
            project=project, action="start", by=worker, now=_at(start)
        )
        for task, progress in tasks:
            if progress:
                services.update_task_progress(
                    task=task, by=worker, progress=progress, now=_at(task.due_date, 17)
                )
        for milestone in milestones:
            if milestone.due_date < self.today:
                services.reach_milestone(
                    milestone=milestone, by=worker, now=_at(milestone.due_date, 16)
                )
        if state == "in_progress":
            return project
        project = services.transition_project(
            project=project, action="complete", by=secretary, now=_at(end, 17)
        )
        if state == "evaluated":
            project = services.transition_project(
                project=project, action="evaluate", by=secretary, now=_at(end + timedelta(days=7))
            )
        return project


def _deg(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")
