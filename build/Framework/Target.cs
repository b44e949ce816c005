using System.Linq.Expressions;

namespace Rates.Build.Framework;

/// <summary>
/// A build target, declared as a property of the build class (NUKE's model):
/// <code>Target Compile => _ => _.DependsOn(Restore).Executes(() => ...);</code>
/// The delegate is invoked once at start-up to read the definition; nothing runs until the plan is known.
/// </summary>
public delegate ITargetDefinition Target(ITargetDefinition _);

public interface ITargetDefinition
{
    /// <summary>One line shown by <c>--help</c>.</summary>
    ITargetDefinition Description(string description);

    /// <summary>Targets that must run first; requesting this target schedules them.</summary>
    ITargetDefinition DependsOn(params Target[] targets);

    /// <summary>Orders this target after the given ones when both are scheduled; schedules nothing.</summary>
    ITargetDefinition After(params Target[] targets);

    /// <summary>Orders this target before the given ones when both are scheduled; schedules nothing.</summary>
    ITargetDefinition Before(params Target[] targets);

    /// <summary>Evaluated just before the target would run; when false the target is skipped.</summary>
    ITargetDefinition OnlyWhen(Func<bool> condition);

    /// <summary>As <see cref="OnlyWhen(Func{bool})"/>; <paramref name="reason"/> says what must hold and is shown when skipped.</summary>
    ITargetDefinition OnlyWhen(string reason, Func<bool> condition);

    /// <summary>
    /// Parameters that must be set (not null, not blank, not an empty list), e.g. <c>Requires(() => Dump)</c>.
    /// Checked for every scheduled target before the first target runs.
    /// </summary>
    ITargetDefinition Requires(params Expression<Func<object?>>[] parameters);

    ITargetDefinition Executes(Action action);

    ITargetDefinition Executes(Func<Task> action);
}

internal sealed record TargetCondition(string? Reason, Func<bool> IsMet);

/// <summary>What a <see cref="Target"/> delegate recorded about itself.</summary>
internal sealed class TargetDefinition : ITargetDefinition
{
    public string? DescriptionText { get; private set; }
    public List<Target> Dependencies { get; } = [];
    public List<Target> AfterTargets { get; } = [];
    public List<Target> BeforeTargets { get; } = [];
    public List<TargetCondition> Conditions { get; } = [];
    public List<Expression<Func<object?>>> Requirements { get; } = [];
    public List<Func<Task>> Actions { get; } = [];

    public ITargetDefinition Description(string description)
    {
        DescriptionText = description;
        return this;
    }

    public ITargetDefinition DependsOn(params Target[] targets) => AddTo(Dependencies, targets);

    public ITargetDefinition After(params Target[] targets) => AddTo(AfterTargets, targets);

    public ITargetDefinition Before(params Target[] targets) => AddTo(BeforeTargets, targets);

    public ITargetDefinition OnlyWhen(Func<bool> condition) => AddTo(Conditions, [new TargetCondition(null, condition)]);

    public ITargetDefinition OnlyWhen(string reason, Func<bool> condition) =>
        AddTo(Conditions, [new TargetCondition(reason, condition)]);

    public ITargetDefinition Requires(params Expression<Func<object?>>[] parameters) => AddTo(Requirements, parameters);

    public ITargetDefinition Executes(Action action) => AddTo(Actions, [() => { action(); return Task.CompletedTask; }]);

    public ITargetDefinition Executes(Func<Task> action) => AddTo(Actions, [action]);

    private TargetDefinition AddTo<T>(List<T> list, IEnumerable<T> items)
    {
        list.AddRange(items);
        return this;
    }
}
