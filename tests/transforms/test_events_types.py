"""ACLED sub-event coding rules (lexicon rows and article-level protest coding) and event places."""
import polars as pl
import pytest
from newsfacts.reference.events import load_actor_dictionary, load_event_lexicon

from tests.transforms.test_events import SEEDS, _run
from tests.transforms.test_events import _loc as events_loc

LEXICON = load_event_lexicon(SEEDS)
ACTORS = load_actor_dictionary(SEEDS)


def _top(text):
    """The ACLED sub-event type of the article's most confident coded event."""
    coded = _run(LEXICON, ACTORS, text).filter(pl.col("acled_sub_event_type").is_not_null()).sort(
        ["confidence", "trigger_start"], descending=[True, False]
    )
    return coded.row(0, named=True)["acled_sub_event_type"] if coded.height else None


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # a grenade launcher is no grenade; mortars fired at positions are shelling
        ("Separatist units fired grenade launchers at army positions outside the town.",
         "Shelling/artillery/missile attack"),
        ("A man threw a hand grenade into the crowded bar.", "Grenade"),
        # small-arms fire between armed sides is a clash even with heavier weapons in the mix
        ("Rebels fired mortars and small arms at an army outpost overnight.", "Armed clash"),
        ("Rebels fired mortars and heavy machine guns at an army outpost overnight.",
         "Shelling/artillery/missile attack"),
        # fire returned by the side fired at is an exchange of fire: an armed clash, whatever the target
        ("Gunmen fired at a village guard post and the guards returned fire.", "Armed clash"),
        ("Gunmen shot at the family house; the guards fired back.", "Armed clash"),
        ("Gunmen shot at a shop in the market at night.", "Attack"),
        # killing a commander, a combatant or an intelligence officer is violence against an armed side
        ("Gunmen killed a local commander near the market on Friday.", "Armed clash"),
        ("The district head of intelligence was killed in a raid by police.", "Armed clash"),
        ("Unknown men killed a member of the state security on the highway.", "Armed clash"),
        ("Unknown men killed a shopkeeper on the highway.", "Attack"),
        # a crowd stoning police riots; demonstrators doing it make a violent demonstration
        ("Residents pelted stones at police who were enforcing the curfew.", "Mob violence"),
        ("Youths hurled rocks at a patrol car in the old town.", "Mob violence"),
        ("Protesters threw stones at police outside the ministry.", "Violent demonstration"),
        # a prisoner swap between armed sides is an agreement
        ("The two armies exchanged prisoners near the front on Monday.", "Agreement"),
        # a passive with no agent: the target stands before the verb
        ("A soldier was killed near the border post on Sunday.", "Armed clash"),
        ("Three farmers were killed when militants raided their village.", "Attack"),
        # an unorganised crowd attacking police riots; a driver is a civilian target
        ("Angry residents attacked two police officers at the market after the arrest.", "Mob violence"),
        ("Bandits attacked a minibus on the highway and robbed the driver.", "Attack"),
        ("Villagers of two hamlets clashed and pelted each other with stones over a boundary.", "Mob violence"),
        ("Workers were injured in a clash with police during their demonstration for unpaid wages.",
         "Violent demonstration"),
        ("Two soldiers were killed during clashes with insurgents in the hills.", "Armed clash"),
        ("Unknown gunmen shot dead a policewoman at a checkpoint.", "Armed clash"),
        ("Observers recorded nine explosions near the front line on Sunday.", "Shelling/artillery/missile attack"),
        ("A rocket exploded prematurely at the launch site, wounding its crew.", "Disrupted weapons use"),
        # "located at" places a unit: it found nothing
        ("Troops located at the hill fired artillery at the enemy trenches.", "Shelling/artillery/missile attack"),
    ],
)
def test_sub_event_rules(text, sub):
    assert _top(text) == sub


def test_demonstrators_violence_anywhere_makes_a_violent_demonstration():
    text = (
        "Market traders demonstrated in the town centre on Monday against the new tax. "
        "Some of them barricaded the main road with burning tyres."
    )
    assert _top(text) == "Violent demonstration"


def test_demonstrators_destroying_property_is_a_violent_demonstration():
    text = "Moto-taxi drivers demonstrated in the town on Monday. The demonstrators destroyed two police posts."
    assert _top(text) == "Violent demonstration"


def test_peaceful_demonstration_stays_peaceful():
    text = "Nurses demonstrated outside the ministry on Monday to demand unpaid wages. The march ended at noon."
    assert _top(text) == "Peaceful protest"


def _loc(text, mention, cc, lat, lon, feature="city"):
    return events_loc("a0", 0, text, mention, cc=cc, lat=lat, lon=lon, feature=feature)


def _placed(text, locs):
    ev = _run(LEXICON, ACTORS, text, locations=locs)
    return ev.sort(["confidence", "trigger_start"], descending=[True, False]).row(0, named=True)["location_id"]


def test_a_place_of_a_country_the_article_does_not_name_comes_last():
    text = "In Ostrava, Moravia, gunmen attacked a bar in Lipova street."
    locs = [
        _loc(text, "Ostrava", "CZ", 49.8, 18.3), _loc(text, "Moravia", "CZ", 49.5, 17.0, "admin1"),
        _loc(text, "Lipova", "RO", 46.1, 21.7),  # a same-named town in another country
    ]
    assert _placed(text, locs) == locs[0]["location_id"]


def test_parenthesised_places_are_in_the_clause():
    text = "Jets bombed a market in Zarqa Province (Ruseifa district) overnight; officials met in Amman."
    locs = [
        _loc(text, "Zarqa Province", "JO", 32.1, 36.1, "admin1"), _loc(text, "Ruseifa", "JO", 32.0, 36.0),
        _loc(text, "Amman", "JO", 31.9, 35.9),
    ]
    assert _placed(text, locs) == locs[1]["location_id"]  # the most specific of the clause


def test_an_attack_in_the_same_event_as_a_violent_demonstration_is_part_of_it():
    def subs(text):
        return dict(_run(LEXICON, ACTORS, text).select("trigger_text", "acled_sub_event_type").rows())

    assert subs("Supporters of two parties clashed during a demonstration in the capital. A journalist was beaten up.") \
        == {"clashed": "Violent demonstration", "beaten up": "Violent demonstration"}
    # a peaceful demonstration does not make an attack part of it
    assert subs("Supporters of two parties held a demonstration in the capital. A journalist was beaten up.")[
        "beaten up"] == "Attack"


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # heavy machine guns are heavy weapons: their bursts of fire are shelling, like mortars
        ("Monitors counted six bursts of fire from heavy machine guns near the village on Tuesday.",
         "Shelling/artillery/missile attack"),
        ("Separatists fired heavy machine-guns at army positions east of the town.",
         "Shelling/artillery/missile attack"),
        # small arms named with them: direct fire between armed sides stays an armed clash
        ("Monitors counted bursts of fire from heavy machine guns and small arms near the village.", "Armed clash"),
    ],
)
def test_heavy_machine_guns_are_heavy_weapons(text, sub):
    assert _top(text) == sub


def test_fire_in_both_directions_is_an_exchange_of_fire():
    # explosions at a front line are shelling, but fire going both ways is two armed sides fighting
    assert _top("Observers counted nine explosions near the front line on Sunday.") == "Shelling/artillery/missile attack"
    assert _top("Observers counted nine explosions in both directions of the front line on Sunday.") == "Armed clash"


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # unarmed civilian groups clashing (party supporters, communities, traders, with police too) riot
        ("Supporters of two rival parties clashed in the market square on Sunday.", "Mob violence"),
        ("Clashes broke out between two farming communities over a disputed field.", "Mob violence"),
        ("Street vendors clashed with municipal police who tried to clear the pavement.", "Mob violence"),
        # an armed side in the sentence (the rule's `unless` words) keeps the armed clash
        ("Soldiers clashed with party supporters near the market on Sunday.", "Armed clash"),
        ("Rebels clashed with community defence groups in the hills.", "Armed clash"),
        ("Clashes broke out between gunmen and local traders at the market.", "Armed clash"),
    ],
)
def test_clashes_of_unarmed_groups_are_riots(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # a civilian vehicle attacked is violence against civilians, whoever attacked it
        ("A truck was attacked by suspected militants on the coastal road.", "Attack"),
        ("Militants ambushed a taxi on the coastal road.", "Attack"),
        ("Militants ambushed an army convoy on the coastal road.", "Armed clash"),
    ],
)
def test_civilian_vehicles_are_civilian_targets(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # security personnel off duty, retired or former are civilians when attacked
        ("Two off-duty police officers were shot and wounded outside a bar.", "Attack"),
        ("Gunmen killed a retired soldier at his farm on Sunday.", "Attack"),
        ("Two police officers were shot and wounded outside a bar.", "Armed clash"),
    ],
)
def test_off_duty_security_personnel_are_civilians(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # a crowd burning or wrecking property riots
        ("Angry residents set alight the house of a suspected thief on Monday.", "Mob violence"),
        ("A crowd torched two police vehicles near the market.", "Mob violence"),
        # an armed group doing it destroys property; an armed side in the sentence vetoes the crowd reading
        ("Rebels torched houses in the village on Monday.", "Looting/property destruction"),
        ("Militia youths set fire to shops in the market.", "Looting/property destruction"),
    ],
)
def test_a_crowd_destroying_property_riots(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # what the crowd protests against (its grievance) is no force used on the demonstration
        ("Hundreds of residents held a vigil on Sunday to commemorate the victims of a massacre in which "
         "soldiers shot dead dozens of villagers.", "Peaceful protest"),
        ("Students protested outside the court against the detention of a journalist who was arrested by "
         "police last month.", "Peaceful protest"),
        ("Drivers blocked the highway in demonstration against the death of a colleague who was shot at a "
         "checkpoint.", "Peaceful protest"),
        # after the grievance's clause ends, an intervention counts again
        ("Students protested outside the court against a new law, and police arrested ten of them.",
         "Protest with intervention"),
        # the demonstrators' own violence is never hidden by a grievance
        ("Protests against rising prices erupted in the capital with shops set ablaze.", "Violent demonstration"),
    ],
)
def test_a_grievance_is_no_intervention(text, sub):
    assert _top(text) == sub


def test_a_background_riot_does_not_make_a_demonstration_violent():
    text = "Residents held a peaceful march in the town on Sunday. It came a week after the riots in the prison."
    assert _top(text) == "Peaceful protest"


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # projectiles are shelling; fired both ways, an exchange of fire; found or seized, no attack
        ("Monitors recorded four projectiles near the village on Friday.", "Shelling/artillery/missile attack"),
        ("Monitors recorded twenty projectiles in both directions near the village.", "Armed clash"),
        ("Police found a stash of projectiles in an abandoned house.", "Disrupted weapons use"),
    ],
)
def test_projectiles(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # shots are gunfire: from small arms, an armed clash; at a bus, an attack; vaccine shots are none
        ("Monitors recorded 30 shots from small arms near the village.", "Armed clash"),
        ("Gunshots were heard near a bus on the highway at night.", "Attack"),
        ("Booster shots were given to 300 nurses at the clinic on Monday.", None),
    ],
)
def test_shots(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # a killing in a clash takes the clash's coding: between unarmed groups, a riot
        ("A farmer and his son were killed in a clash between two farmer groups over land.", "Mob violence"),
        # an exchange of fire is no crowd's clash, even between a party's cadres and police
        ("Four party cadres and a policeman were killed in an exchange of fire near the forest.", "Armed clash"),
        ("Police clashed with party cadres in an exchange of fire near the forest.", "Armed clash"),
    ],
)
def test_killed_in_a_riot(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # a member of a military unit (division, brigade, battalion, regiment) is an armed target
        ("Unidentified gunmen assassinated a member of the army's 5th Division outside his home.", "Armed clash"),
        ("Gunmen shot dead an officer of the border brigade at the market.", "Armed clash"),
        ("Unidentified gunmen assassinated a teacher outside his home.", "Attack"),
    ],
)
def test_military_units_are_armed_targets(text, sub):
    assert _top(text) == sub


def test_property_destroyed_at_a_demonstration_makes_it_violent():
    text = (
        "Traders demonstrated in the town on Monday against a new tax. Some of them vandalised the market office. "
        "Police fired tear gas to disperse the demonstrators."
    )
    assert _top(text) == "Violent demonstration"
    # property the state destroys is no demonstrators' violence
    text = "Residents demonstrated in the town on Monday against evictions. Police demolished their homes."
    assert _top(text) == "Peaceful protest"


def test_an_abduction_whose_victim_was_killed_is_an_attack():
    assert _top("Gunmen kidnapped three traders on the highway. The bodies of three men were later found nearby.") \
        == "Attack"
    assert _top("Gunmen kidnapped three traders on the highway. They were released the next day.") == (
        "Abduction/forced disappearance"
    )


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # goods, land or property seized: looting / property destruction
        ("Police seized two tons of cocaine hidden in a truck at the port.", "Looting/property destruction"),
        ("Soldiers seized farmland belonging to villagers near the border.", "Looting/property destruction"),
        # weapons seized are disrupted weapons use, a town seized a territorial change
        ("Police seized rifles and ammunition in a raid on a farm.", "Disrupted weapons use"),
        ("Rebels seized the town after heavy fighting.", "Non-state actor overtakes territory"),
    ],
)
def test_seized_goods_and_land(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # "recovered" regains territory only with a place or control as its object
        ("The army recovered control of the town after two days.", "Government regains territory"),
        ("Police recovered a stolen car near the market.", None),
    ],
)
def test_recovered_is_no_territory_without_a_place(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # a suspect killed by police is a civilian victim; a suspected militant an armed one
        ("A drug suspect was killed during a police raid on his house.", "Attack"),
        ("A suspected militant was killed during a police raid on his house.", "Armed clash"),
    ],
)
def test_suspects_are_civilians(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # detainees tortured or killed: violence against civilians rather than an arrest
        ("Soldiers detained and tortured a young farmer at the checkpoint.", "Attack"),
        ("Police arrested a trader on Friday, who died in custody two days later.", "Attack"),
        ("Police arrested a man who had stolen a car.", "Arrests"),
    ],
)
def test_detainees_tortured_or_killed(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # "the attack" in a later sentence refers back to the act already reported
        ("On Monday night in a hamlet in the north of the district, a village chief and teacher was killed by "
         "unidentified armed men. The motive for the attack is unknown.", "Attack"),
    ],
)
def test_a_definite_mention_refers_back(text, sub):
    assert _top(text) == sub


def test_a_definite_mention_that_codes_the_act_more_closely_keeps_its_weight():
    def confidence(text, trigger):
        ev = _run(LEXICON, ACTORS, text)
        return ev.filter(pl.col("trigger_text") == trigger)["confidence"].item()

    first = "Militants struck three police posts on Monday. "
    # an uninformative "the attacks" is a back-reference; one coded by its own sentence (grenades) is not
    assert confidence(first + "The attacks were reported by officials.", "attacks") < confidence(
        first + "Two attacks were reported by officials.", "attacks"
    )
    assert confidence(first + "The attacks were carried out with grenades.", "attacks") == confidence(
        first + "Two attacks were carried out with grenades.", "attacks"
    )


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # fortifications set up are a change to group activity; a base set up is a base established
        ("Government troops set up fortifications along the river on Monday.", "Change to group/activity"),
        ("The rebels established a base near the river on Monday.", "Headquarters or base established"),
    ],
)
def test_fortifications(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # fire returned by the side fired upon, in a later sentence too, makes the event an exchange of fire
        ("Rebels fired mortar shells at an army post on Monday. The soldiers responded to the fire, killing two "
         "rebels.", "Armed clash"),
        ("Rebels fired mortar shells at an army post on Monday. Two soldiers were wounded.",
         "Shelling/artillery/missile attack"),
    ],
)
def test_fire_returned_in_the_same_event(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # a rioting crowd that makes demands is a violent demonstration; without, mob violence
        ("A mob of workers pelted stones at police demanding unpaid wages.", "Violent demonstration"),
        ("A mob pelted stones at police after a road accident.", "Mob violence"),
    ],
)
def test_a_rioting_crowd_with_demands_demonstrates(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # a gathering with placards, banners, slogans or demands is a demonstration; any other is none
        ("Hundreds of farmers gathered outside parliament on Monday with banners calling for better prices.",
         "Peaceful protest"),
        ("Hundreds of mourners gathered at the cemetery on Monday.", None),
    ],
)
def test_a_gathering_with_banners_is_a_demonstration(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # wounding is violence too: of a civilian an attack, of soldiers an armed clash
        ("Unknown gunmen wounded a shopkeeper in the market on Monday.", "Attack"),
        ("Gunmen wounded two soldiers at a checkpoint on Monday.", "Armed clash"),
    ],
)
def test_wounding(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # a place taken after the other side left it is a non-violent transfer of territory
        ("Rebels took control of the town after government troops withdrew on Sunday.",
         "Non-violent transfer of territory"),
        ("Rebels took control of the town on Sunday.", "Non-state actor overtakes territory"),
        # "abandoned" said of things is no withdrawal
        ("Soldiers recaptured the town and found cars lying abandoned in the streets.",
         "Government regains territory"),
    ],
)
def test_territory_left_without_fighting(text, sub):
    assert _top(text) == sub


@pytest.mark.parametrize(
    "text",
    ["Returned fire", "RETURNED THE FIRE", "Fired back", "FIRING BACK", "responded to the fire", "Responded With Fire",
     "they were returning fire", "no fire here", "back home"],
)
def test_the_fire_returned_gate_passes_every_match(text):
    from newsfacts.transforms.events import _FIRE_RETURNED, _may_return_fire

    assert _may_return_fire(text) or _FIRE_RETURNED.search(text) is None


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        # "riot police" are police, not a riot
        ("Riot police dispersed a protest by traders in the capital.", "Protest with intervention"),
        ("Anti-riot police fired tear gas at people protesting against the eviction.", "Protest with intervention"),
        ("Rioters burned shops in the old town.", "Violent demonstration"),
        # live fire on people protesting or marching is excessive force, not an attack on civilians
        ("Police fired live rounds at people marching peacefully through the city, killing two.",
         "Excessive force against protesters"),
        ("Soldiers shot at villagers demonstrating against the mine, killing one.", "Excessive force against protesters"),
        # South Asian English: an "encounter" is a gunfight; heavy gunfire exchanged is a clash
        ("An encounter broke out between police and insurgents in the forest on Friday.", "Armed clash"),
        ("Rebels and soldiers exchanged heavy gunfire near the river for hours.", "Armed clash"),
        # control restored by the state; territory handed over without fighting
        ("The army restored government control over the market town on Monday.", "Government regains territory"),
        ("The militia handed over the town to government troops under a deal.", "Non-violent transfer of territory"),
        # a command post set up is a base established; stolen herds are looting
        ("Militiamen established a command post in the school.", "Headquarters or base established"),
        ("Armed rustlers stole 200 head of cattle from herders near the border.", "Looting/property destruction"),
        # crowd-control means name a demonstration broken up; protesters bundled into vans are an intervention
        ("Riot police used water cannon to clear hundreds of activists blocking the motorway.",
         "Protest with intervention"),
        ("Police bundled dozens of party workers into vans as they staged a sit-in outside parliament.",
         "Protest with intervention"),
        # slogans, placards and sit-down protests (dharna) are demonstrations
        ("Party workers raised slogans against the state government outside the district office.", "Peaceful protest"),
        ("Teachers staged a dharna outside the education office over unpaid salaries.", "Peaceful protest"),
        # a person taken by force, or missing after being picked up, is an abduction; an arrest stays an arrest
        ("Unknown men forcibly took a trader from his shop; his family has not heard from him since.",
         "Abduction/forced disappearance"),
        ("The activist was picked up by men in plain clothes and his whereabouts remain unknown.",
         "Abduction/forced disappearance"),
        ("Police arrested the activist on Friday.", "Arrests"),
        # demonstrators' violence makes a violent demonstration even when the police then fire on them
        ("Protesters threw petrol bombs at the police station and officers opened fire, killing two demonstrators.",
         "Violent demonstration"),
    ],
)
def test_general_wordings_of_frequent_sub_events(text, sub):
    assert _top(text) == sub
