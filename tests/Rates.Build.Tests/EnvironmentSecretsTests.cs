using System.Security.Cryptography;
using System.Text;
using Rates.Build.Environments;
using Rates.Build.Framework;

namespace Rates.Build.Tests;

public sealed class EnvironmentSecretsTests
{
    [Fact]
    public void Up_generates_distinct_private_secrets_once_and_reuses_them()
    {
        var temp = AbsolutePath.Create(Path.Combine(Path.GetTempPath(), $"rates-secrets-{Guid.NewGuid():N}"));
        try
        {
            var store = new EnvironmentStore(temp, "ci-a");

            var (first, _) = store.ResolveSecrets(givenDbPassword: null, givenApiKey: null, dataExists: false);
            var (second, _) = new EnvironmentStore(temp, "ci-a").ResolveSecrets(givenDbPassword: null, givenApiKey: null, dataExists: true);

            Assert.Equal(first, second);
            Assert.Equal(first, store.ReadSecrets());
            Assert.Equal(3, first.All.Distinct().Count());
            foreach (var credential in Credential.All)
            {
                Assert.NotNull(store.ReadSecret(credential));
                if (!OperatingSystem.IsWindows())
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.SecretFile(credential)));
            }
        }
        finally
        {
            temp.DeleteDirectory();
        }
    }

    [Fact]
    public void An_environment_without_a_stored_key_has_no_secrets_to_read()
    {
        var temp = AbsolutePath.Create(Path.Combine(Path.GetTempPath(), $"rates-secrets-{Guid.NewGuid():N}"));
        try
        {
            var store = new EnvironmentStore(temp, "old");
            store.ResolveSecret(Credential.DbPassword, given: null, dataExists: false);

            Assert.Null(store.ReadSecrets());
        }
        finally
        {
            temp.DeleteDirectory();
        }
    }

    [Fact]
    public void The_service_gets_the_service_role_and_only_the_hash_of_the_key()
    {
        var secrets = new EnvironmentSecrets("owner-password", "service-password", "the-key");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("the-key")));

        var settings = secrets.ServiceSettings();

        Assert.Equal(EnvironmentSecrets.ServiceUser, settings["Database__Username"]);
        Assert.Equal("service-password", settings["Database__Password"]);
        Assert.Equal(hash, settings[$"Auth__ApiKeys__{EnvironmentSecrets.ApiKeyId}"]);
        Assert.DoesNotContain(settings.Values, v => v == "the-key" || v == "owner-password");
    }

    [Fact]
    public void Compose_gets_the_key_as_its_hash_and_both_passwords()
    {
        var secrets = new EnvironmentSecrets("owner-password", "service-password", "the-key");

        var variables = ComposeProject.Variables(secrets, 3000, 5432, null, null);

        Assert.Equal("owner-password", variables["RATES_DB_PASSWORD"]);
        Assert.Equal("service-password", variables["RATES_SERVICE_PASSWORD"]);
        Assert.Equal(EnvironmentSecrets.ServiceUser, variables["RATES_SERVICE_USER"]);
        Assert.Equal(secrets.ApiKeyHash, variables["RATES_API_KEY_SHA256"]);
        Assert.DoesNotContain(variables.Values, v => v == "the-key");
    }
}
