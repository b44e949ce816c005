using System.Text.RegularExpressions;

namespace Rates.Synthetic;

/// <summary>
/// Real-world container ports (UN/LOCODE code and English name) under a three-level region
/// hierarchy: world area → sub-region → local area. Ports hang off local areas only.
/// The data is written by hand for this project; it is not taken from any other dataset.
/// </summary>
public sealed partial class PortCatalog
{
    /// <summary>The catalog used for the seed data and for synthetic batches.</summary>
    public static PortCatalog Default { get; } = new(CatalogData.Regions, CatalogData.Ports);

    /// <summary>A catalog of other data, e.g. the regions and ports of a running database, checked like the default one.</summary>
    /// <exception cref="InvalidOperationException">A slug or code does not fit, a parent is unknown, or the regions form a cycle.</exception>
    public static PortCatalog Create(IEnumerable<Region> regions, IEnumerable<Port> ports) => new(regions, ports);

    private readonly Dictionary<string, Region> _regionsBySlug;
    private readonly Dictionary<string, Port> _portsByCode;

    private PortCatalog(IEnumerable<Region> regions, IEnumerable<Port> ports)
    {
        _regionsBySlug = new Dictionary<string, Region>(StringComparer.Ordinal);
        foreach (var region in regions)
        {
            if (!SlugPattern().IsMatch(region.Slug))
                throw new InvalidOperationException($"Region slug '{region.Slug}' is not snake_case.");
            if (!_regionsBySlug.TryAdd(region.Slug, region))
                throw new InvalidOperationException($"Region slug '{region.Slug}' is defined twice.");
        }

        _portsByCode = new Dictionary<string, Port>(StringComparer.Ordinal);
        foreach (var port in ports)
        {
            if (!CodePattern().IsMatch(port.Code))
                throw new InvalidOperationException($"Port code '{port.Code}' is not a UN/LOCODE (two letters + three letters/digits).");
            if (!_regionsBySlug.ContainsKey(port.ParentSlug))
                throw new InvalidOperationException($"Port {port.Code} names unknown region '{port.ParentSlug}'.");
            if (!_portsByCode.TryAdd(port.Code, port))
                throw new InvalidOperationException($"Port code '{port.Code}' is defined twice.");
        }

        foreach (var region in _regionsBySlug.Values)
            _ = AncestorsOf(region.Slug); // throws on an unknown parent or a cycle

        Regions = OrderParentsFirst(_regionsBySlug.Values);
        Ports = [.. _portsByCode.Values.OrderBy(p => p.Code, StringComparer.Ordinal)];
    }

    /// <summary>All regions, each parent before its children (depth-first, children by slug), so inserts satisfy the foreign key.</summary>
    public IReadOnlyList<Region> Regions { get; }

    /// <summary>All ports, ordered by code (ordinal).</summary>
    public IReadOnlyList<Port> Ports { get; }

    public bool ContainsPort(string code) => _portsByCode.ContainsKey(code);

    public bool TryGetPort(string code, out Port port) => _portsByCode.TryGetValue(code, out port!);

    public bool TryGetRegion(string slug, out Region region) => _regionsBySlug.TryGetValue(slug, out region!);

    /// <summary>The chain from the region itself up to its root, e.g. <c>[china_yangtze_delta, east_asia, asia]</c>.</summary>
    public IReadOnlyList<Region> AncestorsOf(string slug)
    {
        var chain = new List<Region>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? current = slug;
        while (current is not null)
        {
            if (!_regionsBySlug.TryGetValue(current, out var region))
                throw new InvalidOperationException($"Region '{current}' (in the chain of '{slug}') does not exist.");
            if (!seen.Add(current))
                throw new InvalidOperationException($"Region '{slug}' has a parent cycle through '{current}'.");
            chain.Add(region);
            current = region.ParentSlug;
        }

        return chain;
    }

    /// <summary>The root region (world area) a port belongs to.</summary>
    public Region WorldAreaOf(string portCode) => AncestorsOf(_portsByCode[portCode].ParentSlug)[^1];

    private static List<Region> OrderParentsFirst(IEnumerable<Region> regions)
    {
        var children = regions
            .GroupBy(r => r.ParentSlug ?? string.Empty, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.Slug, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var ordered = new List<Region>();

        void Visit(string parent)
        {
            if (!children.TryGetValue(parent, out var list))
                return;
            foreach (var region in list)
            {
                ordered.Add(region);
                Visit(region.Slug);
            }
        }

        Visit(string.Empty);
        return ordered;
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[A-Z]{2}[A-Z0-9]{3}$")]
    private static partial Regex CodePattern();
}

/// <summary>The hand-written catalog tables (a separate class so they are initialised before <see cref="PortCatalog.Default"/>).</summary>
internal static class CatalogData
{
    // World areas (roots), their sub-regions, and the local areas that ports belong to.
    public static readonly Region[] Regions =
    [
        new("asia", "Asia", null),
        new("east_asia", "East Asia", "asia"),
        new("china_yangtze_delta", "China Yangtze Delta", "east_asia"),
        new("china_north_coast", "China North Coast", "east_asia"),
        new("china_pearl_river_delta", "China Pearl River Delta", "east_asia"),
        new("taiwan_strait", "Taiwan Strait", "east_asia"),
        new("korean_peninsula", "Korean Peninsula", "east_asia"),
        new("japan", "Japan", "east_asia"),
        new("southeast_asia", "Southeast Asia", "asia"),
        new("malacca_strait", "Malacca Strait", "southeast_asia"),
        new("indochina", "Indochina", "southeast_asia"),
        new("maritime_southeast_asia", "Maritime Southeast Asia", "southeast_asia"),
        new("south_asia", "South Asia", "asia"),
        new("subcontinent_west", "Subcontinent West", "south_asia"),
        new("subcontinent_east", "Subcontinent East", "south_asia"),

        new("europe", "Europe", null),
        new("northwest_europe", "Northwest Europe", "europe"),
        new("rhine_scheldt_delta", "Rhine Scheldt Delta", "northwest_europe"),
        new("german_bight", "German Bight", "northwest_europe"),
        new("channel_ports", "Channel Ports", "northwest_europe"),
        new("irish_sea", "Irish Sea", "northwest_europe"),
        new("nordic_baltic", "Nordic Baltic", "europe"),
        new("western_nordics", "Western Nordics", "nordic_baltic"),
        new("eastern_baltic", "Eastern Baltic", "nordic_baltic"),
        new("southern_baltic", "Southern Baltic", "nordic_baltic"),
        new("mediterranean", "Mediterranean", "europe"),
        new("iberia_west_med", "Iberia West Med", "mediterranean"),
        new("central_med", "Central Med", "mediterranean"),
        new("east_med", "East Med", "mediterranean"),

        new("americas", "Americas", null),
        new("north_america", "North America", "americas"),
        new("us_west_coast", "US West Coast", "north_america"),
        new("pacific_northwest", "Pacific Northwest", "north_america"),
        new("us_east_coast", "US East Coast", "north_america"),
        new("us_gulf_coast", "US Gulf Coast", "north_america"),
        new("canada_east", "Canada East", "north_america"),
        new("latin_america", "Latin America", "americas"),
        new("mexico_pacific", "Mexico Pacific", "latin_america"),
        new("caribbean_central_america", "Caribbean Central America", "latin_america"),
        new("west_coast_south_america", "West Coast South America", "latin_america"),
        new("east_coast_south_america", "East Coast South America", "latin_america"),

        new("africa_middle_east", "Africa Middle East", null),
        new("middle_east", "Middle East", "africa_middle_east"),
        new("upper_gulf", "Upper Gulf", "middle_east"),
        new("lower_gulf", "Lower Gulf", "middle_east"),
        new("red_sea_arabia", "Red Sea Arabia", "middle_east"),
        new("africa", "Africa", "africa_middle_east"),
        new("north_africa", "North Africa", "africa"),
        new("west_africa", "West Africa", "africa"),
        new("east_africa", "East Africa", "africa"),
        new("southern_africa", "Southern Africa", "africa"),

        new("oceania", "Oceania", null),
        new("australasia", "Australasia", "oceania"),
        new("australia_east", "Australia East", "australasia"),
        new("australia_south_west", "Australia South West", "australasia"),
        new("new_zealand", "New Zealand", "australasia"),
        new("pacific_islands", "Pacific Islands", "oceania"),
        new("melanesia", "Melanesia", "pacific_islands"),
    ];

    public static readonly Port[] Ports =
    [
        // East Asia
        new("CNSGH", "Shanghai", "china_yangtze_delta"),
        new("CNNGB", "Ningbo", "china_yangtze_delta"),
        new("CNNKG", "Nanjing", "china_yangtze_delta"),
        new("CNTAO", "Qingdao", "china_north_coast"),
        new("CNTXG", "Tianjin Xingang", "china_north_coast"),
        new("CNDLC", "Dalian", "china_north_coast"),
        new("CNLYG", "Lianyungang", "china_north_coast"),
        new("CNSZX", "Shenzhen", "china_pearl_river_delta"),
        new("CNYTN", "Yantian", "china_pearl_river_delta"),
        new("CNSHK", "Shekou", "china_pearl_river_delta"),
        new("CNCAN", "Guangzhou", "china_pearl_river_delta"),
        new("CNNSA", "Nansha", "china_pearl_river_delta"),
        new("HKHKG", "Hong Kong", "china_pearl_river_delta"),
        new("CNXMN", "Xiamen", "taiwan_strait"),
        new("CNFOC", "Fuzhou", "taiwan_strait"),
        new("TWKHH", "Kaohsiung", "taiwan_strait"),
        new("TWKEL", "Keelung", "taiwan_strait"),
        new("TWTXG", "Taichung", "taiwan_strait"),
        new("KRPUS", "Busan", "korean_peninsula"),
        new("KRINC", "Incheon", "korean_peninsula"),
        new("KRKAN", "Gwangyang", "korean_peninsula"),
        new("KRUSN", "Ulsan", "korean_peninsula"),
        new("JPTYO", "Tokyo", "japan"),
        new("JPYOK", "Yokohama", "japan"),
        new("JPNGO", "Nagoya", "japan"),
        new("JPUKB", "Kobe", "japan"),
        new("JPOSA", "Osaka", "japan"),
        new("JPHKT", "Hakata", "japan"),
        new("JPSMZ", "Shimizu", "japan"),

        // Southeast and South Asia
        new("SGSIN", "Singapore", "malacca_strait"),
        new("MYPKG", "Port Klang", "malacca_strait"),
        new("MYTPP", "Tanjung Pelepas", "malacca_strait"),
        new("MYPEN", "Penang", "malacca_strait"),
        new("THLCH", "Laem Chabang", "indochina"),
        new("THBKK", "Bangkok", "indochina"),
        new("VNSGN", "Ho Chi Minh City", "indochina"),
        new("VNCMT", "Cai Mep", "indochina"),
        new("VNHPH", "Haiphong", "indochina"),
        new("VNDAD", "Da Nang", "indochina"),
        new("KHKOS", "Sihanoukville", "indochina"),
        new("MMRGN", "Yangon", "indochina"),
        new("IDJKT", "Jakarta", "maritime_southeast_asia"),
        new("IDSUB", "Surabaya", "maritime_southeast_asia"),
        new("IDSRG", "Semarang", "maritime_southeast_asia"),
        new("PHMNL", "Manila", "maritime_southeast_asia"),
        new("PHCEB", "Cebu", "maritime_southeast_asia"),
        new("INNSA", "Nhava Sheva", "subcontinent_west"),
        new("INBOM", "Mumbai", "subcontinent_west"),
        new("INMUN", "Mundra", "subcontinent_west"),
        new("INPAV", "Pipavav", "subcontinent_west"),
        new("INCOK", "Kochi", "subcontinent_west"),
        new("PKKHI", "Karachi", "subcontinent_west"),
        new("INMAA", "Chennai", "subcontinent_east"),
        new("INVTZ", "Visakhapatnam", "subcontinent_east"),
        new("INCCU", "Kolkata", "subcontinent_east"),
        new("LKCMB", "Colombo", "subcontinent_east"),
        new("BDCGP", "Chittagong", "subcontinent_east"),

        // Europe
        new("NLRTM", "Rotterdam", "rhine_scheldt_delta"),
        new("NLAMS", "Amsterdam", "rhine_scheldt_delta"),
        new("BEANR", "Antwerp", "rhine_scheldt_delta"),
        new("BEZEE", "Zeebrugge", "rhine_scheldt_delta"),
        new("DEHAM", "Hamburg", "german_bight"),
        new("DEBRV", "Bremerhaven", "german_bight"),
        new("DEWVN", "Wilhelmshaven", "german_bight"),
        new("FRLEH", "Le Havre", "channel_ports"),
        new("FRDKK", "Dunkirk", "channel_ports"),
        new("GBFXT", "Felixstowe", "channel_ports"),
        new("GBSOU", "Southampton", "channel_ports"),
        new("GBLGP", "London Gateway", "channel_ports"),
        new("GBLIV", "Liverpool", "irish_sea"),
        new("IEDUB", "Dublin", "irish_sea"),
        new("IEORK", "Cork", "irish_sea"),
        new("DKAAR", "Aarhus", "western_nordics"),
        new("DKCPH", "Copenhagen", "western_nordics"),
        new("SEGOT", "Gothenburg", "western_nordics"),
        new("SEMMA", "Malmö", "western_nordics"),
        new("NOOSL", "Oslo", "western_nordics"),
        new("NOBGO", "Bergen", "western_nordics"),
        new("SESTO", "Stockholm", "eastern_baltic"),
        new("FIHEL", "Helsinki", "eastern_baltic"),
        new("FIKTK", "Kotka", "eastern_baltic"),
        new("EETLL", "Tallinn", "eastern_baltic"),
        new("EEMUG", "Muuga", "eastern_baltic"),
        new("LVRIX", "Riga", "eastern_baltic"),
        new("RULED", "Saint Petersburg", "eastern_baltic"),
        new("LTKLJ", "Klaipėda", "southern_baltic"),
        new("PLGDN", "Gdańsk", "southern_baltic"),
        new("PLGDY", "Gdynia", "southern_baltic"),
        new("PLSZZ", "Szczecin", "southern_baltic"),
        new("ESALG", "Algeciras", "iberia_west_med"),
        new("ESVLC", "Valencia", "iberia_west_med"),
        new("ESBCN", "Barcelona", "iberia_west_med"),
        new("PTSIE", "Sines", "iberia_west_med"),
        new("PTLIS", "Lisbon", "iberia_west_med"),
        new("FRMRS", "Marseille", "iberia_west_med"),
        new("ITGOA", "Genoa", "central_med"),
        new("ITSPE", "La Spezia", "central_med"),
        new("ITGIT", "Gioia Tauro", "central_med"),
        new("ITNAP", "Naples", "central_med"),
        new("ITTRS", "Trieste", "central_med"),
        new("MTMAR", "Marsaxlokk", "central_med"),
        new("SIKOP", "Koper", "central_med"),
        new("HRRJK", "Rijeka", "central_med"),
        new("GRPIR", "Piraeus", "east_med"),
        new("TRMER", "Mersin", "east_med"),
        new("TRAMB", "Ambarli", "east_med"),
        new("TRIZM", "Izmir", "east_med"),
        new("ILHFA", "Haifa", "east_med"),
        new("ILASH", "Ashdod", "east_med"),

        // Americas
        new("USLAX", "Los Angeles", "us_west_coast"),
        new("USLGB", "Long Beach", "us_west_coast"),
        new("USOAK", "Oakland", "us_west_coast"),
        new("USSEA", "Seattle", "pacific_northwest"),
        new("USTIW", "Tacoma", "pacific_northwest"),
        new("CAVAN", "Vancouver", "pacific_northwest"),
        new("CAPRR", "Prince Rupert", "pacific_northwest"),
        new("USNYC", "New York", "us_east_coast"),
        new("USBAL", "Baltimore", "us_east_coast"),
        new("USORF", "Norfolk", "us_east_coast"),
        new("USCHS", "Charleston", "us_east_coast"),
        new("USSAV", "Savannah", "us_east_coast"),
        new("USJAX", "Jacksonville", "us_east_coast"),
        new("USMIA", "Miami", "us_east_coast"),
        new("USHOU", "Houston", "us_gulf_coast"),
        new("USMSY", "New Orleans", "us_gulf_coast"),
        new("USMOB", "Mobile", "us_gulf_coast"),
        new("CAMTR", "Montreal", "canada_east"),
        new("CAHAL", "Halifax", "canada_east"),
        new("MXZLO", "Manzanillo", "mexico_pacific"),
        new("MXLZC", "Lázaro Cárdenas", "mexico_pacific"),
        new("PAMIT", "Manzanillo International", "caribbean_central_america"),
        new("PABLB", "Balboa", "caribbean_central_america"),
        new("CRLIO", "Puerto Limón", "caribbean_central_america"),
        new("JMKIN", "Kingston", "caribbean_central_america"),
        new("DOCAU", "Caucedo", "caribbean_central_america"),
        new("COCTG", "Cartagena", "caribbean_central_america"),
        new("COBUN", "Buenaventura", "west_coast_south_america"),
        new("ECGYE", "Guayaquil", "west_coast_south_america"),
        new("PECLL", "Callao", "west_coast_south_america"),
        new("CLSAI", "San Antonio", "west_coast_south_america"),
        new("CLVAP", "Valparaíso", "west_coast_south_america"),
        new("BRSSZ", "Santos", "east_coast_south_america"),
        new("BRRIO", "Rio de Janeiro", "east_coast_south_america"),
        new("BRPNG", "Paranaguá", "east_coast_south_america"),
        new("BRRIG", "Rio Grande", "east_coast_south_america"),
        new("BRSSA", "Salvador", "east_coast_south_america"),
        new("ARBUE", "Buenos Aires", "east_coast_south_america"),
        new("UYMVD", "Montevideo", "east_coast_south_america"),

        // Africa and the Middle East
        new("KWSWK", "Shuwaikh", "upper_gulf"),
        new("BHKBS", "Khalifa Bin Salman", "upper_gulf"),
        new("QAHMD", "Hamad", "upper_gulf"),
        new("SADMM", "Dammam", "upper_gulf"),
        new("AEJEA", "Jebel Ali", "lower_gulf"),
        new("AEAUH", "Abu Dhabi", "lower_gulf"),
        new("AEKLF", "Khor Fakkan", "lower_gulf"),
        new("OMSOH", "Sohar", "lower_gulf"),
        new("SAJED", "Jeddah", "red_sea_arabia"),
        new("JOAQJ", "Aqaba", "red_sea_arabia"),
        new("OMSLL", "Salalah", "red_sea_arabia"),
        new("EGPSD", "Port Said", "north_africa"),
        new("EGALY", "Alexandria", "north_africa"),
        new("MAPTM", "Tanger Med", "north_africa"),
        new("MACAS", "Casablanca", "north_africa"),
        new("SNDKR", "Dakar", "west_africa"),
        new("CIABJ", "Abidjan", "west_africa"),
        new("GHTEM", "Tema", "west_africa"),
        new("TGLFW", "Lomé", "west_africa"),
        new("NGAPP", "Apapa", "west_africa"),
        new("AOLAD", "Luanda", "west_africa"),
        new("DJJIB", "Djibouti", "east_africa"),
        new("KEMBA", "Mombasa", "east_africa"),
        new("TZDAR", "Dar es Salaam", "east_africa"),
        new("MZMPM", "Maputo", "southern_africa"),
        new("ZADUR", "Durban", "southern_africa"),
        new("ZAZBA", "Ngqura", "southern_africa"),
        new("ZAPLZ", "Port Elizabeth", "southern_africa"),
        new("ZACPT", "Cape Town", "southern_africa"),

        // Oceania
        new("AUBNE", "Brisbane", "australia_east"),
        new("AUSYD", "Sydney", "australia_east"),
        new("AUMEL", "Melbourne", "australia_east"),
        new("AUADL", "Adelaide", "australia_south_west"),
        new("AUFRE", "Fremantle", "australia_south_west"),
        new("NZAKL", "Auckland", "new_zealand"),
        new("NZTRG", "Tauranga", "new_zealand"),
        new("NZLYT", "Lyttelton", "new_zealand"),
        new("PGPOM", "Port Moresby", "melanesia"),
        new("PGLAE", "Lae", "melanesia"),
        new("FJSUV", "Suva", "melanesia"),
        new("NCNOU", "Nouméa", "melanesia"),
    ];
}
