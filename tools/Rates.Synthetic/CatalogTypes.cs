namespace Rates.Synthetic;

/// <summary>A row of <c>public.regions</c>: a node of the region hierarchy (root nodes have no parent).</summary>
public sealed record Region(string Slug, string Name, string? ParentSlug);

/// <summary>A row of <c>public.ports</c>: a port identified by its UN/LOCODE, placed in a region.</summary>
public sealed record Port(string Code, string Name, string ParentSlug);

/// <summary>A directed trade lane between two different ports, with the price level it starts at.</summary>
public sealed record Lane(string OrigCode, string DestCode, int BasePrice);

/// <summary>A row of <c>public.prices</c>.</summary>
public sealed record PriceRow(string OrigCode, string DestCode, DateOnly Day, int Price);
