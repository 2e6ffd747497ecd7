#!/usr/bin/python3
"""Build examples/scenario.ndjson: the hirewire demo scenario.

The scenario models the facts of SPEC section 6 (a July 2025 article on the AI
talent war).  Public names from the article: Luming Fang, Bowen Zhang, Tom
Gunter, Mark Rido, Amar Subramanya, Adam Sadovsky, Sonal Gupta.  Every other
person below is FICTIONAL.  Attributes not in the article (dates, nationality,
alma mater, money of the fictional people) are illustrative.

Standard library only, no randomness: running it twice gives the same bytes.

    /usr/bin/python3 examples/make_scenario.py          # writes scenario.ndjson, prints a summary
    /usr/bin/python3 examples/make_scenario.py --quiet  # writes only
"""

import datetime as dt
import hashlib
import json
import os
import re
import sys
import unicodedata

# ---------------------------------------------------------------------------
# Organisations and labs: key -> (org, lab or None, usual country)
# ---------------------------------------------------------------------------
MSL = ("Meta", "Meta Superintelligence Labs")
ORGS = {
    "OpenAI":    ("OpenAI", None),
    "GDM":       ("Google", "Google DeepMind"),
    "GResearch": ("Google", "Google Research"),
    "Anthropic": ("Anthropic", None),
    "Apple":     ("Apple", "Apple Foundation Models"),
    "MSL":       MSL,
    "MSAI":      ("Microsoft", "Microsoft AI"),
    "xAI":       ("xAI", None),
    "Mistral":   ("Mistral AI", None),
    "SSI":       ("Safe Superintelligence", None),
    "TML":       ("Thinking Machines Lab", None),
    "DeepSeek":  ("DeepSeek", None),
    "Naver":     ("Naver", None),
    "Samsung":   ("Samsung", "Samsung AI Center"),
    "LG":        ("LG AI Research", None),
    "Kakao":     ("Kakao", None),
    "Upstage":   ("Upstage", None),
    "KAIST":     ("KAIST", None),
    "NVIDIA":    ("NVIDIA", None),
    "Sakana":    ("Sakana AI", None),
    "PFN":       ("Preferred Networks", None),
    "Cohere":    ("Cohere", None),
    "SeaAI":     ("Sea AI Lab", None),
    "AlephAlpha": ("Aleph Alpha", None),
    "AI21":      ("AI21 Labs", None),
    "Sarvam":    ("Sarvam AI", None),
    "Alibaba":   ("Alibaba", "Qwen"),
    "ByteDance": ("ByteDance", "ByteDance Seed"),
    "CSIRO":     ("CSIRO", None),
    "Qualcomm":  ("Qualcomm", "Qualcomm AI Research"),
    "Spotify":   ("Spotify", None),
}

TSINGHUA, PKU, ZJU = "Tsinghua University", "Peking University", "Zhejiang University"
USTC, SJTU, FUDAN = ("University of Science and Technology of China",
                     "Shanghai Jiao Tong University", "Fudan University")

# Placeholder citation (reserved example.com domain, not a real article URL).
ARTICLE = "https://example.com/news/2025/07/ai-talent-war"

# ---------------------------------------------------------------------------
# Meta Superintelligence Labs: the 44 final members (SPEC 6)
#   origin: 18 OpenAI (40.9%), 9 Google DeepMind (20.5%), 13 Anthropic, 4 Apple
#   nationality CN: 10 + 5 + 6 + 0 = 21 (47.7%)
# row: (date, name, origin key, from_country, nationality, alma_mater, tier, compensation_usd)
# All move to the US (to_country "US").
# ---------------------------------------------------------------------------
MSL_FROM_OPENAI = [
    # spread out before June: at most 3 within any 30 days
    ("2025-03-04", "Zhiyuan Tang",  "US", "CN", TSINGHUA, "A", None),
    ("2025-03-20", "Marcus Webb",   "US", "US", "Stanford University", "A", None),
    ("2025-04-08", "Xinyi Feng",    "US", "CN", PKU, "A", None),
    ("2025-04-25", "Rahul Nair",    "US", "IN", "IIT Bombay", "B", None),
    ("2025-05-13", "Haoran Guo",    "US", "CN", ZJU, "A", 25_000_000),
    # the June-July wave: 13 members (+1 who later leaves) in two months
    ("2025-06-03", "Yifan Lu",      "US", "CN", TSINGHUA, "A", None),
    ("2025-06-07", "Owen Fletcher", "US", "CA", "University of Toronto", "B", None),
    ("2025-06-12", "Kaiwen Song",   "US", "CN", TSINGHUA, "S", 150_000_000),
    ("2025-06-16", "Mengqi Xu",     "US", "CN", PKU, "A", None),
    ("2025-06-20", "Itai Shapiro",  "US", "IL", "Technion", "B", None),
    ("2025-06-24", "Ruixin Dong",   "US", "CN", ZJU, "S", 180_000_000),
    ("2025-06-27", "Chenxi Wei",    "US", "CN", USTC, "A", None),
    ("2025-07-01", "Alex Morgan",   "US", None, None, "UNRATED", None),
    ("2025-07-07", "Nathan Cole",   "US", "US", "Massachusetts Institute of Technology", "S", 120_000_000),
    # the Korean researcher who worked on OpenAI's o1 (SPEC 6)
    ("2025-07-15", "Doyun Kang",    "US", "KR", "Seoul National University", "A", None),
    ("2025-07-18", "Yuhan Cao",     "US", "CN", TSINGHUA, "A", None),
    ("2025-07-22", "Oliver Grant",  "US", "GB", "University of Cambridge", "B", None),
    ("2025-07-29", "Siyuan Pan",    "US", "CN", SJTU, "B", None),
]

MSL_FROM_GDM = [  # spaced >= 11 days apart: never 4 within 30 days
    ("2025-03-06", "Linfeng Yao",    "US", "CN", TSINGHUA, "A", None),
    ("2025-03-19", "Priyanka Desai", "US", "IN", "IIT Delhi", "B", None),
    ("2025-04-01", "Boyang Xie",     "CH", "CN", PKU, "A", None),          # relocates from Zurich
    ("2025-04-14", "Thomas Hale",    "GB", "GB", "University of Oxford", "A", None),  # from London
    ("2025-04-28", "Qianru Mo",      "US", "CN", ZJU, "B", None),
    ("2025-05-20", "Zeyu Hou",       "US", "CN", TSINGHUA, "A", 12_000_000),
    ("2025-06-10", "Daniel Weber",   "US", "DE", "Technical University of Munich", "B", None),
    ("2025-07-03", "Jiaxuan Peng",   "US", "CN", PKU, "A", None),
    ("2025-07-24", "Caleb Turner",   "US", "US", "University of California, Berkeley", "B", None),
]

MSL_FROM_ANTHROPIC = [  # every 11 days from March 1: never 4 within 30 days
    ("2025-03-01", "Wenjie Tao",     "US", "CN", TSINGHUA, "A", None),
    ("2025-03-12", "Hannah Price",   "US", "US", "Princeton University", "B", None),
    ("2025-03-23", "Xuanyu Fu",      "US", "CN", ZJU, "A", None),
    ("2025-04-03", "Vikram Rao",     "US", "IN", "Carnegie Mellon University", "A", None),
    ("2025-04-14", "Yiming Duan",    "US", "CN", PKU, "B", None),
    ("2025-04-25", "Sophie Laurent", "GB", "FR", "École Normale Supérieure", "A", None),  # from London
    ("2025-05-06", "Zhengyang Lu",   "US", "CN", TSINGHUA, "A", None),
    ("2025-05-17", "Leah Thompson",  "US", "CA", "University of British Columbia", "B", None),
    ("2025-05-28", "Ruiqi Qian",     "US", "CN", PKU, "A", None),
    ("2025-06-08", "Jonas Richter",  "US", "DE", "University of Tübingen", "B", None),
    ("2025-06-19", "Shuyi Kong",     "US", "CN", ZJU, "B", None),
    ("2025-06-30", "Jordan Ellis",   "US", None, None, "UNRATED", None),
    ("2025-07-11", "Michael Chen",   "US", "US", "University of Washington", "B", None),
]

# Apple lost four researchers to Meta in one month (public names; nationality
# and alma mater left unknown on purpose).  The only Apple -> MSL moves.
MSL_FROM_APPLE = [
    ("2025-06-09", "Luming Fang", "US", None, None, "S", 210_000_000),  # head of the AFM team
    ("2025-06-16", "Tom Gunter",  "US", None, None, "A", None),
    ("2025-06-23", "Mark Rido",   "US", None, None, "A", None),
    ("2025-06-30", "Bowen Zhang", "US", None, None, "S", None),         # multimodal lead
]

# Joins MSL from OpenAI, leaves again for OpenAI: not one of the 44.
DEPARTURE = {
    "name": "Ryan Holt", "nationality": "US", "alma_mater": "Carnegie Mellon University",
    "tier": "A",
    "join": ("2025-07-11", "OpenAI", "US"),
    "leave": ("2025-08-18", "OpenAI", "US"),
}

# The same hire announced a second time (same person, same lab, later date).
REPEATED = {"name": "Vikram Rao", "date": "2025-07-16",
            "source_url": "https://example.com/news/2025/07/msl-roster"}

# ---------------------------------------------------------------------------
# Microsoft AI hires from Google DeepMind (22).  Weekly from Feb 20: the
# Google -> Microsoft AI raid alert fires once (4 within 30 days), then the
# window never drops below 4 at a hire, so it does not fire again.
# row: (date, name, from_country, to_country, nationality, alma_mater, tier)
# ---------------------------------------------------------------------------
MICROSOFT_FROM_GDM = [
    ("2025-01-13", "Peter Lindgren",   "US", "US", "SE", "KTH Royal Institute of Technology", "B"),
    ("2025-01-27", "Anjali Kapoor",    "US", "US", "IN", "IIT Kanpur", "B"),
    ("2025-02-20", "Marco Bianchi",    "GB", "GB", "IT", "Politecnico di Milano", "B"),   # London hub
    ("2025-02-27", "Sarah Whitman",    "US", "US", "US", "Cornell University", "A"),
    ("2025-03-06", "Kenji Watanabe",   "US", "US", "JP", "Kyoto University", "B"),
    ("2025-03-13", "Emily Carter",     "GB", "GB", "GB", "Imperial College London", "B"),
    ("2025-03-20", "Tao Zheng",        "US", "US", "CN", FUDAN, "A"),
    ("2025-03-27", "David Osei",       "GB", "US", "GH", "KNUST", "B"),
    ("2025-04-03", "Laura Schmidt",    "US", "US", "DE", "Heidelberg University", "B"),
    ("2025-04-10", "Neil Bhattacharya", "US", "US", "IN", "Indian Institute of Science", "A"),
    ("2025-04-17", "Chloe Dubois",     "GB", "GB", "FR", "Sorbonne University", "UNRATED"),
    ("2025-04-24", "Jiayi Ren",        "US", "US", "CN", "Nanjing University", "B"),
    ("2025-05-01", "Brandon Lee",      "US", "US", "US", "Georgia Institute of Technology", "B"),
    ("2025-05-08", "Isabel Ortiz",     "US", "US", "ES", "Universidad Politécnica de Madrid", "B"),
    ("2025-05-15", "Hyejin Moon",      "US", "US", "KR", "KAIST", "B"),
    ("2025-05-22", "James Whitaker",   "GB", "US", "GB", "University of Edinburgh", "A"),
    ("2025-05-29", "Fatima Haddad",    "US", "US", None, None, "UNRATED"),
    ("2025-06-05", "Kevin Doyle",      "GB", "GB", "IE", "Trinity College Dublin", "B"),
    ("2025-06-12", "Aditi Menon",      "US", "US", "IN", "University of Michigan", "B"),
    ("2025-06-19", "Sonal Gupta",      "US", "US", None, None, "A"),   # public
    ("2025-06-26", "Adam Sadovsky",    "US", "US", None, None, "A"),   # public
    ("2025-07-03", "Amar Subramanya",  "US", "US", None, None, "S"),   # public
]
MICROSOFT_COMP = {"Neil Bhattacharya": 1_200_000}

# ---------------------------------------------------------------------------
# Other moves, many cross-border (country flow index).  Korea: 10 out, 3 in.
# row: (date, name, from key, from_country, to key, to_country, nationality,
#       alma_mater, tier, compensation_usd)
# ---------------------------------------------------------------------------
OTHER_HIRES = [
    # Korea -> abroad
    ("2025-01-20", "Seojun Park",   "Naver",   "KR", "xAI",       "US", "KR", "KAIST", "B", None),
    ("2025-02-10", "Hana Yoon",     "Samsung", "KR", "GDM",       "US", "KR", "Seoul National University", "A", None),
    ("2025-02-24", "Minseo Lim",    "LG",      "KR", "OpenAI",    "US", "KR", "POSTECH", "A", None),
    ("2025-03-18", "Jihoon Choi",   "KAIST",   "KR", "Anthropic", "US", "KR", "KAIST", "B", 700_000),
    ("2025-04-07", "Yerin Jang",    "Kakao",   "KR", "NVIDIA",    "US", "KR", "Yonsei University", "B", None),
    ("2025-04-28", "Taeyang Kwon",  "Naver",   "KR", "Sakana",    "JP", "KR", "Korea University", "B", None),
    ("2025-05-12", "Soyeon Han",    "Samsung", "KR", "Cohere",    "CA", "KR", "University of Toronto", "B", None),
    ("2025-06-05", "Dongha Oh",     "Upstage", "KR", "SeaAI",     "SG", "KR", "KAIST", "UNRATED", None),
    ("2025-06-25", "Eunji Baek",    "Naver",   "KR", "GDM",       "GB", "KR", "Seoul National University", "A", None),
    ("2025-07-21", "Junho Shin",    "LG",      "KR", "Mistral",   "FR", "KR", None, "B", None),
    # into Korea
    ("2025-03-03", "Sungwoo Nam",   "GDM",     "US", "Samsung",   "KR", "KR", "Stanford University", "A", 550_000),
    ("2025-05-26", "Haneul Cho",    "OpenAI",  "US", "Naver",     "KR", "KR", "Massachusetts Institute of Technology", "B", None),
    ("2025-07-07", "Ryo Tanaka",    "Sakana",  "JP", "Upstage",   "KR", "JP", "University of Tokyo", "B", None),
    # among other countries
    ("2025-01-27", "Camille Durand", "GDM",    "GB", "Mistral",   "FR", "FR", "École Polytechnique", "A", 600_000),
    ("2025-02-03", "Aiko Sato",     "PFN",     "JP", "OpenAI",    "US", "JP", "University of Tokyo", "B", None),
    ("2025-02-17", "Lukas Brandt",  "AlephAlpha", "DE", "Mistral", "FR", "DE", "Technical University of Munich", "B", None),
    ("2025-03-10", "Élodie Martin", "Mistral", "FR", "TML",       "US", "FR", "École Normale Supérieure", "A", 1_500_000),
    ("2025-03-24", "Noa Levi",      "AI21",    "IL", "OpenAI",    "US", "IL", "Technion", "A", None),
    ("2025-03-31", "Ethan Clarke",  "Cohere",  "CA", "xAI",       "US", "CA", "University of Waterloo", "B", None),
    ("2025-04-14", "Yonatan Mizrahi", "OpenAI", "US", "SSI",      "IL", "IL", "Hebrew University of Jerusalem", "A", 1_100_000),
    ("2025-04-21", "Priya Raman",   "GResearch", "IN", "Anthropic", "US", "IN", "IIT Madras", "B", None),
    ("2025-05-05", "Arjun Mehta",   "OpenAI",  "US", "Sarvam",    "IN", "IN", "IIT Delhi", "B", None),
    ("2025-05-19", "Liang Qiu",     "Alibaba", "CN", "SeaAI",     "SG", "CN", FUDAN, "B", None),
    ("2025-05-28", "Ben Walsh",     "MSAI",    "US", "Cohere",    "CA", "CA", "McGill University", "B", None),
    ("2025-06-02", "Hao Jiang",     "NVIDIA",  "US", "DeepSeek",  "CN", "CN", TSINGHUA, "A", 520_000),
    ("2025-06-16", "Yuting Shao",   "ByteDance", "CN", "xAI",     "US", "CN", PKU, "A", None),
    ("2025-06-30", "Olivia Brooks", "CSIRO",   "AU", "OpenAI",    "US", "AU", "University of Sydney", "B", None),
    ("2025-07-14", "Daan de Vries", "Qualcomm", "NL", "GDM",      "GB", "NL", "University of Amsterdam", "B", None),
    ("2025-07-28", "Erik Lindqvist", "Spotify", "SE", "Anthropic", "GB", "SE", "KTH Royal Institute of Technology", "B", None),
    ("2025-08-04", "Marc Keller",   "GDM",     "CH", "TML",       "US", "CH", "ETH Zurich", "A", None),
    # domestic US moves
    ("2025-04-09", "Tyler Nguyen",  "xAI",     "US", "Anthropic", "US", "US", "University of Texas at Austin", "B", None),
    ("2025-06-18", "Megan Foley",   "OpenAI",  "US", "TML",       "US", "US", "Harvard University", "A", None),
]

# ---------------------------------------------------------------------------
# Offers.  row: (date, name, offering key, current key, from_country,
#                to_country, status, total_value_usd, sign_on_bonus_usd, tier)
# The same offer appears once per status change (EXTENDED, then the outcome).
# ---------------------------------------------------------------------------
M = 1_000_000
OFFERS = [
    # Luming Fang: the > $200M offer, extended then accepted before his hire
    ("2025-05-21", "Luming Fang",  "MSL", "Apple",  "US", "US", "EXTENDED", 210 * M, None, "S"),
    ("2025-06-02", "Luming Fang",  "MSL", "Apple",  "US", "US", "ACCEPTED", 210 * M, None, "S"),
    # ~$100M sign-on bonuses to OpenAI staff: three accepted (then hired) ...
    ("2025-05-16", "Kaiwen Song",  "MSL", "OpenAI", "US", "US", "EXTENDED", 150 * M, 100 * M, "S"),
    ("2025-06-04", "Kaiwen Song",  "MSL", "OpenAI", "US", "US", "ACCEPTED", 150 * M, 100 * M, "S"),
    ("2025-05-26", "Ruixin Dong",  "MSL", "OpenAI", "US", "US", "EXTENDED", 180 * M, 100 * M, "S"),
    ("2025-06-16", "Ruixin Dong",  "MSL", "OpenAI", "US", "US", "ACCEPTED", 180 * M, 100 * M, "S"),
    ("2025-06-10", "Nathan Cole",  "MSL", "OpenAI", "US", "US", "EXTENDED", 120 * M, 100 * M, "S"),
    ("2025-06-30", "Nathan Cole",  "MSL", "OpenAI", "US", "US", "ACCEPTED", 120 * M, 100 * M, "S"),
    # ... and three declined (they stay at OpenAI)
    ("2025-05-19", "Gabriel Stone", "MSL", "OpenAI", "US", "US", "EXTENDED", 100 * M, 100 * M, "S"),
    ("2025-05-30", "Gabriel Stone", "MSL", "OpenAI", "US", "US", "DECLINED", 100 * M, 100 * M, "S"),
    ("2025-06-02", "Yichen Bai",   "MSL", "OpenAI", "US", "US", "EXTENDED", 140 * M, 100 * M, "S"),
    ("2025-06-13", "Yichen Bai",   "MSL", "OpenAI", "US", "US", "DECLINED", 140 * M, 100 * M, "S"),
    ("2025-06-20", "Isaac Mercer", "MSL", "OpenAI", "US", "US", "EXTENDED", 110 * M, 100 * M, "S"),
    ("2025-07-02", "Isaac Mercer", "MSL", "OpenAI", "US", "US", "DECLINED", 110 * M, 100 * M, "S"),
    # top talent above $10M (below the $100M mega threshold)
    ("2025-04-22", "Haoran Guo",   "MSL", "OpenAI", "US", "US", "EXTENDED", 25 * M, 5 * M, "A"),
    ("2025-05-02", "Haoran Guo",   "MSL", "OpenAI", "US", "US", "ACCEPTED", 25 * M, 5 * M, "A"),
    ("2025-04-29", "Zeyu Hou",     "MSL", "GDM",    "US", "US", "EXTENDED", 12 * M, 3 * M, "A"),
    ("2025-05-09", "Zeyu Hou",     "MSL", "GDM",    "US", "US", "ACCEPTED", 12 * M, 3 * M, "A"),
    ("2025-06-18", "Daniel Okafor", "MSL", "OpenAI", "US", "US", "EXTENDED", 45 * M, 10 * M, "A"),
    ("2025-06-28", "Daniel Okafor", "MSL", "OpenAI", "US", "US", "DECLINED", 45 * M, 10 * M, "A"),
    ("2025-07-08", "Laura Bennett", "MSL", "OpenAI", "US", "US", "EXTENDED", 8 * M, None, "A"),
    ("2025-07-25", "Laura Bennett", "MSL", "OpenAI", "US", "US", "WITHDRAWN", 8 * M, None, "A"),
    # senior packages, $500k - $1.5M a year
    ("2025-01-08", "Camille Durand", "Mistral", "GDM", "GB", "FR", "EXTENDED", 600_000, None, "A"),
    ("2025-01-16", "Camille Durand", "Mistral", "GDM", "GB", "FR", "ACCEPTED", 600_000, None, "A"),
    ("2025-02-12", "Sungwoo Nam",  "Samsung", "GDM",   "US", "KR", "EXTENDED", 550_000, 50_000, "A"),
    ("2025-02-21", "Sungwoo Nam",  "Samsung", "GDM",   "US", "KR", "ACCEPTED", 550_000, 50_000, "A"),
    ("2025-02-18", "Élodie Martin", "TML",   "Mistral", "FR", "US", "EXTENDED", 1_500_000, 250_000, "A"),
    ("2025-02-28", "Élodie Martin", "TML",   "Mistral", "FR", "US", "ACCEPTED", 1_500_000, 250_000, "A"),
    ("2025-02-25", "Jihoon Choi",  "Anthropic", "KAIST", "KR", "US", "EXTENDED", 700_000, None, "B"),
    ("2025-03-06", "Jihoon Choi",  "Anthropic", "KAIST", "KR", "US", "ACCEPTED", 700_000, None, "B"),
    ("2025-03-24", "Neil Bhattacharya", "MSAI", "GDM", "US", "US", "EXTENDED", 1_200_000, 200_000, "A"),
    ("2025-04-02", "Neil Bhattacharya", "MSAI", "GDM", "US", "US", "ACCEPTED", 1_200_000, 200_000, "A"),
    ("2025-03-27", "Yonatan Mizrahi", "SSI", "OpenAI", "US", "IL", "EXTENDED", 1_100_000, None, "A"),
    ("2025-04-04", "Yonatan Mizrahi", "SSI", "OpenAI", "US", "IL", "ACCEPTED", 1_100_000, None, "A"),
    ("2025-04-09", "Grace Holloway", "MSL", "Anthropic", "US", "US", "EXTENDED", 1_400_000, 300_000, "A"),
    ("2025-04-18", "Grace Holloway", "MSL", "Anthropic", "US", "US", "DECLINED", 1_400_000, 300_000, "A"),
    ("2025-04-16", "Kevin Marsh",  "xAI",     "OpenAI", "US", "US", "EXTENDED", 800_000, None, "B"),
    ("2025-04-30", "Kevin Marsh",  "xAI",     "OpenAI", "US", "US", "WITHDRAWN", 800_000, None, "B"),
    ("2025-05-06", "Rohan Iyer",   "MSAI",    "GDM",    "US", "US", "EXTENDED", 950_000, None, "B"),
    ("2025-05-15", "Rohan Iyer",   "MSAI",    "GDM",    "US", "US", "DECLINED", 950_000, None, "B"),
    ("2025-05-14", "Hao Jiang",    "DeepSeek", "NVIDIA", "US", "CN", "EXTENDED", 520_000, None, "A"),
    ("2025-05-23", "Hao Jiang",    "DeepSeek", "NVIDIA", "US", "CN", "ACCEPTED", 520_000, None, "A"),
    ("2025-05-27", "Helen Foster", "Anthropic", "GDM",  "US", "US", "EXTENDED", 650_000, None, "B"),
    ("2025-06-06", "Helen Foster", "Anthropic", "GDM",  "US", "US", "DECLINED", 650_000, None, "B"),
    # OpenAI wins back the one who left MSL
    ("2025-08-05", "Ryan Holt",    "OpenAI",  "MSL",    "US", "US", "EXTENDED", 1_500_000, 500_000, "A"),
    ("2025-08-12", "Ryan Holt",    "OpenAI",  "MSL",    "US", "US", "ACCEPTED", 1_500_000, 500_000, "A"),
]

# People whose events carry the placeholder article citation.
CITED = {"Luming Fang", "Bowen Zhang", "Tom Gunter", "Mark Rido",
         "Amar Subramanya", "Adam Sadovsky", "Sonal Gupta", "Doyun Kang",
         "Kaiwen Song", "Ruixin Dong", "Nathan Cole",
         "Gabriel Stone", "Yichen Bai", "Isaac Mercer"}

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenario.ndjson")

# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------


def person_id(name):
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "p-" + re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def timestamp(date, name, kind):
    """Deterministic time of day (08:00-18:59 UTC) from a hash, not a RNG."""
    h = int(hashlib.sha256(f"{date}|{name}|{kind}".encode()).hexdigest(), 16)
    minutes = 8 * 60 + h % (11 * 60)
    return f"{date}T{minutes // 60:02d}:{minutes % 60:02d}:{(h >> 16) % 60:02d}Z"


def hire(date, name, src, fc, dst, tc, nat, alma, tier, comp=None, url=None, kind="hire"):
    from_org, from_lab = ORGS[src] if isinstance(src, str) else src
    to_org, to_lab = ORGS[dst] if isinstance(dst, str) else dst
    return {
        "type": "hire", "event_id": None,
        "occurred_at": timestamp(date, name, kind),
        "person_id": person_id(name), "person_name": name,
        "from_org": from_org, "from_lab": from_lab,
        "to_org": to_org, "to_lab": to_lab,
        "from_country": fc, "to_country": tc,
        "nationality": nat, "alma_mater": alma, "tier": tier,
        "compensation_usd": comp,
        "source_url": url if url else (ARTICLE if name in CITED else None),
    }


def offer(date, name, by, current, fc, tc, status, total, signon, tier):
    org, lab = ORGS[by]
    return {
        "type": "offer", "event_id": None,
        "occurred_at": timestamp(date, name, "offer-" + status),
        "person_id": person_id(name), "person_name": name,
        "offering_org": org, "offering_lab": lab,
        "current_org": ORGS[current][0],
        "from_country": fc, "to_country": tc,
        "status": status, "total_value_usd": total,
        "sign_on_bonus_usd": signon, "tier": tier,
        "source_url": ARTICLE if name in CITED else None,
    }


def build():
    ev = []
    for origin, rows in (("OpenAI", MSL_FROM_OPENAI), ("GDM", MSL_FROM_GDM),
                         ("Anthropic", MSL_FROM_ANTHROPIC), ("Apple", MSL_FROM_APPLE)):
        for date, name, fc, nat, alma, tier, comp in rows:
            ev.append(hire(date, name, origin, fc, "MSL", "US", nat, alma, tier, comp))

    d = DEPARTURE
    date, src, fc = d["join"]
    ev.append(hire(date, d["name"], src, fc, "MSL", "US", d["nationality"], d["alma_mater"], d["tier"]))
    date, dst, tc = d["leave"]
    ev.append(hire(date, d["name"], "MSL", "US", dst, tc, d["nationality"], d["alma_mater"],
                   d["tier"], 1_500_000, kind="hire-leave"))

    r = next(e for e in ev if e["person_name"] == REPEATED["name"])
    again = dict(r, occurred_at=timestamp(REPEATED["date"], r["person_name"], "hire-repeat"),
                 source_url=REPEATED["source_url"])
    ev.append(again)

    for date, name, fc, tc, nat, alma, tier in MICROSOFT_FROM_GDM:
        ev.append(hire(date, name, "GDM", fc, "MSAI", tc, nat, alma, tier, MICROSOFT_COMP.get(name)))

    for date, name, src, fc, dst, tc, nat, alma, tier, comp in OTHER_HIRES:
        ev.append(hire(date, name, src, fc, dst, tc, nat, alma, tier, comp))

    for row in OFFERS:
        ev.append(offer(*row))

    ev.sort(key=lambda e: (e["occurred_at"], e["type"], e["person_id"]))
    counters = {"hire": 0, "offer": 0}
    for e in ev:
        counters[e["type"]] += 1
        e["event_id"] = f"scn-{e['type']}-{counters[e['type']]:04d}"
    return ev


# ---------------------------------------------------------------------------
# Checks (SPEC 3 rules) and a summary of what the consumer should compute
# ---------------------------------------------------------------------------
# Assigned ISO 3166-1 alpha-2 codes used here (the checker refuses others).
COUNTRIES = {"US", "GB", "CA", "FR", "DE", "CH", "IL", "IN", "CN", "JP", "SG",
             "AU", "NL", "SE", "KR", "IT", "GH", "ES", "IE"}
HIRE_FIELDS = ["type", "event_id", "occurred_at", "person_id", "person_name",
               "from_org", "from_lab", "to_org", "to_lab", "from_country",
               "to_country", "nationality", "alma_mater", "tier",
               "compensation_usd", "source_url"]
OFFER_FIELDS = ["type", "event_id", "occurred_at", "person_id", "person_name",
                "offering_org", "offering_lab", "current_org", "from_country",
                "to_country", "status", "total_value_usd", "sign_on_bonus_usd",
                "tier", "source_url"]


def _ms(ts):
    return int(dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=dt.timezone.utc).timestamp() * 1000)


def validate(ev):
    lo, hi = _ms("2000-01-01T00:00:00Z"), int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000) + 86_400_000
    nb = lambda s: len(s.encode("utf-8"))
    seen = set()
    for e in ev:
        fields = HIRE_FIELDS if e["type"] == "hire" else OFFER_FIELDS
        assert list(e) == fields, e
        assert e["event_id"] not in seen, e
        seen.add(e["event_id"])
        assert 1 <= nb(e["event_id"]) <= 128 and 1 <= nb(e["person_id"]) <= 128
        assert e["person_name"] is None or nb(e["person_name"]) <= 200
        assert lo <= _ms(e["occurred_at"]) <= hi, e
        assert e["from_country"] in COUNTRIES and e["to_country"] in COUNTRIES, e
        assert e["tier"] in ("S", "A", "B", "UNRATED")
        assert e["source_url"] is None or nb(e["source_url"]) <= 2048
        if e["type"] == "hire":
            assert 1 <= nb(e["from_org"]) <= 200 and 1 <= nb(e["to_org"]) <= 200
            assert (e["from_org"], e["from_lab"]) != (e["to_org"], e["to_lab"]), e
            assert e["nationality"] is None or e["nationality"] in COUNTRIES
            c = e["compensation_usd"]
            assert c is None or (type(c) is int and 0 <= c <= 10**12)
        else:
            assert e["status"] in ("EXTENDED", "ACCEPTED", "DECLINED", "WITHDRAWN")
            assert type(e["total_value_usd"]) is int and 0 <= e["total_value_usd"] <= 10**12
            s = e["sign_on_bonus_usd"]
            assert s is None or (type(s) is int and 0 <= s <= 10**12)
    assert [e["occurred_at"] for e in ev] == sorted(e["occurred_at"] for e in ev)


def simulate(ev):
    """Apply the SPEC 4 rules the way the consumer should; return the results."""
    where = {}        # person_id -> (lab, hire event)
    applied = []      # hires that moved someone: (day ordinal, from_org, lab)
    raids, tier_s, mega, repeats = [], [], [], []
    flow_in, flow_out = {}, {}
    for e in ev:
        day = dt.date.fromisoformat(e["occurred_at"][:10]).toordinal()
        if e["type"] == "offer":
            if e["status"] in ("EXTENDED", "ACCEPTED") and e["total_value_usd"] >= 100 * M:
                mega.append(e)
            continue
        lab = e["to_lab"] or e["to_org"]
        if where.get(e["person_id"], (None,))[0] == lab:
            repeats.append(e)
            continue
        where[e["person_id"]] = (lab, e)
        key = (e["from_org"], lab)
        before = sum(1 for d, o, l in applied if (o, l) == key and day - 30 < d <= day)
        applied.append((day, e["from_org"], lab))
        if before < 4 <= before + 1:
            raids.append((key, e["occurred_at"][:10], e["event_id"]))
        if e["tier"] == "S":
            tier_s.append(e)
        if e["from_country"] != e["to_country"]:
            flow_out[e["from_country"]] = flow_out.get(e["from_country"], 0) + 1
            flow_in[e["to_country"]] = flow_in.get(e["to_country"], 0) + 1
    members = [h for lab, h in where.values() if lab == MSL[1]]
    net = {c: flow_in.get(c, 0) - flow_out.get(c, 0) for c in set(flow_in) | set(flow_out)}
    return members, raids, tier_s, mega, repeats, net


def tally(members, field):
    out = {}
    for h in members:
        k = h[field] or "unknown"
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def main():
    ev = build()
    validate(ev)
    members, raids, tier_s, mega, repeats, net = simulate(ev)

    # the scenario's own promises (SPEC 6)
    origin = tally(members, "from_org")
    assert len(members) == 44, len(members)
    assert origin == {"OpenAI": 18, "Anthropic": 13, "Google": 9, "Apple": 4}, origin
    assert tally(members, "nationality")["CN"] == 21
    apple = [e for e in ev if e["type"] == "hire" and e["from_org"] == "Apple"]
    assert len(apple) == 4 and len({e["occurred_at"][:7] for e in apple}) == 1
    assert len(repeats) == 1
    assert net["KR"] < 0 and net["KR"] == min(net.values())

    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for e in ev:
            f.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")

    if "--quiet" in sys.argv:
        return
    n_h = sum(e["type"] == "hire" for e in ev)
    print(f"wrote {OUT}: {len(ev)} lines ({n_h} hires, {len(ev) - n_h} offers), "
          f"{ev[0]['occurred_at']} .. {ev[-1]['occurred_at']}")
    print(f"MSL members: {len(members)}")
    print("  origin:     ", {k: f"{v} ({100 * v / 44:.1f}%)" for k, v in origin.items()})
    print("  nationality:", tally(members, "nationality"))
    print("  alma_mater: ", tally(members, "alma_mater"))
    print("  tier:       ", tally(members, "tier"))
    print("net country flow (in - out), all time:")
    print("  " + ", ".join(f"{c} {v:+d}" for c, v in sorted(net.items(), key=lambda kv: (-kv[1], kv[0]))))
    print("top_tier_move (tier S hires):")
    for e in tier_s:
        print(f"  {e['event_id']} {e['occurred_at'][:10]} {e['person_name']}: {e['from_org']} -> {e['to_lab'] or e['to_org']}")
    print("mega_offer (EXTENDED/ACCEPTED >= $100M):")
    for e in mega:
        print(f"  {e['event_id']} {e['occurred_at'][:10]} {e['person_name']} ({e['current_org']}) "
              f"{e['status']} ${e['total_value_usd']:,}")
    print("raid (4th hire from one org into one lab within 30 days):")
    for (org, lab), day, eid in raids:
        print(f"  {org} -> {lab}: {day} ({eid})")
    print("repeated announcements:", [f"{e['event_id']} {e['person_name']}" for e in repeats])


if __name__ == "__main__":
    main()
