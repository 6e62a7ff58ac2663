"""odoo.modules.registry.Registry(db): the database's registry; .cursor() as in Odoo."""
from .. import sql_db


class Registry:
    _registries = {}

    def __new__(cls, db_name):
        reg = cls._registries.get(db_name)
        if reg is None:
            reg = object.__new__(cls)
            reg.db_name = db_name
            cls._registries[db_name] = reg
        return reg

    def cursor(self):
        return sql_db.Cursor(self.db_name)

    def __getitem__(self, model):
        from .. import models
        return models.MODELS[model]
