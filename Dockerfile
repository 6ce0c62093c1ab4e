# ActorGateway: the `gateway` executable in a container. Data lives in /data (with the default SQLite storage: journal,
# content and spool; with --storage postgres the journal and content are in PostgreSQL). The HOCON files (hocon/*.conf)
# are published to /app/hocon by ActorGateway.Actors.csproj (CopyToOutputDirectory, which publish follows).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ActorGateway.sln ./
COPY hocon/ hocon/
COPY samples/ samples/
COPY src/ src/
RUN dotnet publish src/ActorGateway.Host/ActorGateway.Host.csproj -c Release -o /app --nologo

# aspnet: the ESMTP listener runs on Kestrel.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The .NET images ship a non-root "app" user; the data directory and /spool (the spool directory docker-compose.yml
# shares between the nodes) are created owned by it. A new named volume mounted on them takes that owner.
RUN mkdir -p /data /spool && chown app:app /data /spool
USER app
VOLUME ["/data"]
ENV GATEWAY_DATA_DIR=/data
ENTRYPOINT ["dotnet", "/app/gateway.dll"]
CMD ["run"]
