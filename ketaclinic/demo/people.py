"""Deterministic synthetic people for the demo and for benchmarks. Nobody here is real.

Phone numbers use the 555-01xx block that US numbering reserves for fiction.
"""

from __future__ import annotations

GIVEN_FEMALE = (
    "Maria", "Sofia", "Isabella", "Camila", "Valeria", "Ana", "Lucia", "Elena", "Gabriela", "Daniela",
    "Jennifer", "Jessica", "Ashley", "Sarah", "Emily", "Michelle", "Amanda", "Stephanie", "Nicole", "Rachel",
    "Grace", "Hannah", "Olivia", "Emma", "Chloe", "Mia", "Abigail", "Natalie", "Samantha", "Lauren",
    "Ji-woo", "Seo-yeon", "Min-ji", "Hye-jin", "Yuna", "Linh", "Thao", "Mai", "Ngoc", "Huong",
    "Mei", "Xiu", "Li", "Priya", "Ananya", "Fatima", "Leila", "Maryam", "Rosa", "Teresa",
)  # fmt: skip
GIVEN_MALE = (
    "Jose", "Luis", "Carlos", "Juan", "Miguel", "Javier", "Diego", "Alejandro", "Fernando", "Ricardo",
    "Michael", "David", "James", "Robert", "John", "Daniel", "Matthew", "Christopher", "Andrew", "Joshua",
    "Ethan", "Noah", "Liam", "Benjamin", "Samuel", "Nathan", "Ryan", "Kevin", "Brian", "Jason",
    "Min-jun", "Ji-ho", "Seo-jun", "Hyun-woo", "Dong-hyun", "Minh", "Tuan", "Duc", "Quang", "Khoa",
    "Wei", "Jun", "Hao", "Arjun", "Rahul", "Omar", "Ali", "Reza", "Manuel", "Antonio",
)  # fmt: skip
FAMILY = (
    "Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres",
    "Flores", "Rivera", "Gomez", "Diaz", "Reyes", "Cruz", "Morales", "Ortiz", "Gutierrez", "Chavez",
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Kim", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han",
    "Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang", "Bui", "Do",
    "Wang", "Chen", "Zhang", "Liu", "Huang", "Patel", "Shah", "Singh", "Khan", "Hosseini",
)  # fmt: skip
STREETS = (
    "Beach Blvd", "La Palma Ave", "Orangethorpe Ave", "Valley View St", "Knott Ave", "Stanton Ave",
    "Western Ave", "Crescent Ave", "Lincoln Ave", "Commonwealth Ave", "Malvern Ave", "Dale St",
)  # fmt: skip
CITIES = (
    ("Buena Park", "90620"), ("Buena Park", "90621"), ("Fullerton", "92831"), ("Anaheim", "92801"),
    ("La Palma", "90623"), ("Cypress", "90630"), ("La Mirada", "90638"), ("Cerritos", "90703"),
)  # fmt: skip
ALLERGENS = (
    ("Penicillin", "hives"), ("Sulfa drugs", "rash"), ("Codeine", "nausea and vomiting"),
    ("Latex", "contact dermatitis"), ("Shellfish", "swelling of lips"), ("Ibuprofen", "wheezing"),
    ("Peanuts", "anaphylaxis"), ("Cephalexin", "rash"),
)  # fmt: skip
PRACTICES = {
    "primary_care": ("Buena Park Family Medicine", "Orangethorpe Primary Care", "North County Internal Medicine"),
    "psychiatrist": ("Coastal Psychiatry Group", "Fullerton Behavioral Health", "La Palma Mood Clinic"),
    "therapist": ("Harbor Counseling", "Open Door Therapy Collective", "Cypress Family Therapy"),
    "referring": ("Anaheim Psychiatric Associates", "Cerritos Community Clinic", "St. Jude Outpatient Psychiatry"),
}
LANGUAGES = (("en", 60), ("es", 25), ("ko", 7), ("vi", 5), ("zh", 3))
RELATIONSHIPS = ("spouse", "partner", "mother", "father", "sister", "brother", "friend", "adult child")
PRONOUNS = {"woman": "she/her", "man": "he/him", "non_binary": "they/them"}
NICKNAMES = {
    "Samuel": "Sam", "Benjamin": "Ben", "Jennifer": "Jen", "Christopher": "Chris", "Alejandro": "Alex",
    "Michael": "Mike", "Daniel": "Danny", "Matthew": "Matt", "Nicole": "Nikki", "Gabriela": "Gaby",
    "Robert": "Bob", "Stephanie": "Steph", "Samantha": "Sam", "Abigail": "Abby", "Joshua": "Josh",
    "Francisco": "Paco", "Ricardo": "Rick", "Isabella": "Bella", "Nathan": "Nate", "Fernando": "Fer",
}  # fmt: skip
